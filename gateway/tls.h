/*
 * tls.h - OpenSSL for both legs of riskgwd, non-blocking, with our policy:
 * TLS 1.2 minimum (1.3 preferred: OpenSSL picks the highest both support),
 * forward-secret AEAD ciphers only for 1.2, no renegotiation, no
 * compression, no session tickets. Servers (toward routers) demand a client
 * certificate signed by the configured CA; clients (toward venues) verify
 * the venue's certificate chain and its host name or IP address.
 *
 * Private key files readable by group or others are refused.
 *
 * Library code: errors are returned, with one line in err; nothing is logged.
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TLS_ERRLEN 256

struct tls_ctx;
struct tls_conn;

/* Server context: cert/key presented to peers; ca verifies client
 * certificates (NULL: no client certificate asked for). */
int tls_ctx_server(struct tls_ctx **out, const char *cert, const char *key, const char *ca,
    char err[TLS_ERRLEN]);
/* Client context: ca verifies the server; cert/key (both or neither) are our
 * client certificate. */
int tls_ctx_client(struct tls_ctx **out, const char *ca, const char *cert, const char *key,
    char err[TLS_ERRLEN]);
void tls_ctx_free(struct tls_ctx *);
/* For tests: caps the protocol version a context offers (e.g. TLS1_1_VERSION
 * to prove that the peer refuses it). */
int tls_ctx_set_max_version(struct tls_ctx *, int version);

/* Checks that a key file exists, is a regular file and is not readable by
 * group or others. 0 or a negative errno (-EPERM for a too open mode). */
int tls_check_key_file(const char *path, char err[TLS_ERRLEN]);

/* Results of the I/O calls besides a byte count. */
#define TLS_WANT_READ (-1)
#define TLS_WANT_WRITE (-2)
#define TLS_ERROR (-3)  /* fatal: err says why; close the connection */
#define TLS_CLOSED (-4) /* the peer closed (close_notify or EOF) */

/* Wraps a connected non-blocking socket. server_name (client side): the
 * host name or IP address the certificate must match, also sent as SNI for
 * a name. Returns 0 or -ENOMEM. The fd stays the caller's to close. */
int tls_conn_new(struct tls_conn **out, struct tls_ctx *, int fd, bool server,
    const char *server_name);
void tls_conn_free(struct tls_conn *);

/* Drives the handshake: 0 when done, TLS_WANT_READ/WRITE, TLS_ERROR. */
int tls_handshake(struct tls_conn *, char err[TLS_ERRLEN]);
/* > 0 bytes read, or TLS_WANT_READ/WRITE, TLS_CLOSED, TLS_ERROR. */
ssize_t tls_read(struct tls_conn *, void *buf, size_t len, char err[TLS_ERRLEN]);
/* > 0 bytes written (maybe fewer than len), or TLS_WANT_READ/WRITE, TLS_ERROR. */
ssize_t tls_write(struct tls_conn *, const void *buf, size_t len, char err[TLS_ERRLEN]);
/* Bytes decrypted and buffered inside OpenSSL, readable without the fd. */
size_t tls_pending(const struct tls_conn *);
/* Sends close_notify (best effort, non-blocking). */
void tls_shutdown(struct tls_conn *);

/* After the handshake: the peer certificate's identity (the first DNS
 * subjectAltName, else the subject CN) into buf. 0, or -ENOENT if none. */
int tls_peer_identity(const struct tls_conn *, char *buf, size_t len);
/* "TLSv1.3" etc. */
const char *tls_version(const struct tls_conn *);

#endif
