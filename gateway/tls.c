/*
 * tls.c - OpenSSL contexts and non-blocking connections (see tls.h).
 */
#include "config.h"

#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_ctx {
	SSL_CTX *c_ssl;
};

struct tls_conn {
	SSL *t_ssl;
};

static void ossl_err(char err[TLS_ERRLEN], const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, TLS_ERRLEN, "%s: %s", what, buf);
	} else {
		snprintf(err, TLS_ERRLEN, "%s", what);
	}
	ERR_clear_error();
}

int tls_check_key_file(const char *path, char err[TLS_ERRLEN])
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int e = errno;

		snprintf(err, TLS_ERRLEN, "key file %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, TLS_ERRLEN, "key file %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, TLS_ERRLEN,
		    "key file %s: mode %04o lets group or others read it; chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int ctx_common(struct tls_ctx **out, const SSL_METHOD *m, const char *cert,
    const char *key, const char *ca, char err[TLS_ERRLEN])
{
	struct tls_ctx *c;
	SSL_CTX *s;

	*out = NULL;
	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, TLS_ERRLEN, "a certificate needs its key and a key its certificate");
		return -EINVAL;
	}
	if (key != NULL) {
		int rc = tls_check_key_file(key, err);

		if (rc != 0)
			return rc;
	}
	s = SSL_CTX_new(m);
	if (s == NULL) {
		ossl_err(err, "SSL_CTX_new");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
	SSL_CTX_set_options(s, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				   SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(s, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		ossl_err(err, "cipher list");
		goto fail;
	}
	if (cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(s, cert) != 1) {
			ossl_err(err, cert);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1) {
			ossl_err(err, key);
			goto fail;
		}
		if (SSL_CTX_check_private_key(s) != 1) {
			ossl_err(err, "certificate and key do not match");
			goto fail;
		}
	}
	if (ca != NULL && SSL_CTX_load_verify_locations(s, ca, NULL) != 1) {
		ossl_err(err, ca);
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, TLS_ERRLEN, "out of memory");
		SSL_CTX_free(s);
		return -ENOMEM;
	}
	c->c_ssl = s;
	*out = c;
	return 0;
fail:
	SSL_CTX_free(s);
	return -EINVAL;
}

int tls_ctx_server(struct tls_ctx **out, const char *cert, const char *key, const char *ca,
    char err[TLS_ERRLEN])
{
	int rc;

	if (cert == NULL || key == NULL) {
		snprintf(err, TLS_ERRLEN, "a TLS server needs a certificate and a key");
		return -EINVAL;
	}
	rc = ctx_common(out, TLS_server_method(), cert, key, ca, err);
	if (rc != 0)
		return rc;
	if (ca != NULL) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);

		SSL_CTX_set_verify((*out)->c_ssl,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		if (names != NULL)
			SSL_CTX_set_client_CA_list((*out)->c_ssl, names);
	}
	SSL_CTX_set_session_cache_mode((*out)->c_ssl, SSL_SESS_CACHE_OFF);
	return 0;
}

int tls_ctx_client(struct tls_ctx **out, const char *ca, const char *cert, const char *key,
    char err[TLS_ERRLEN])
{
	int rc;

	if (ca == NULL) {
		snprintf(err, TLS_ERRLEN, "a TLS client needs a CA file to verify the server");
		return -EINVAL;
	}
	rc = ctx_common(out, TLS_client_method(), cert, key, ca, err);
	if (rc != 0)
		return rc;
	SSL_CTX_set_verify((*out)->c_ssl, SSL_VERIFY_PEER, NULL);
	return 0;
}

void tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->c_ssl);
	free(c);
}

int tls_ctx_set_max_version(struct tls_ctx *c, int version)
{
	return SSL_CTX_set_max_proto_version(c->c_ssl, version) == 1 ? 0 : -EINVAL;
}

static bool is_ip(const char *s)
{
	ASN1_OCTET_STRING *a = a2i_IPADDRESS(s);

	if (a == NULL)
		return false;
	ASN1_OCTET_STRING_free(a);
	return true;
}

int tls_conn_new(struct tls_conn **out, struct tls_ctx *ctx, int fd, bool server,
    const char *server_name)
{
	struct tls_conn *t;
	SSL *s;

	*out = NULL;
	s = SSL_new(ctx->c_ssl);
	if (s == NULL)
		return -ENOMEM;
	if (SSL_set_fd(s, fd) != 1)
		goto fail;
	if (server) {
		SSL_set_accept_state(s);
	} else {
		SSL_set_connect_state(s);
		if (server_name != NULL) {
			if (is_ip(server_name)) {
				if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), server_name) != 1)
					goto fail;
			} else {
				if (SSL_set_tlsext_host_name(s, server_name) != 1 ||
				    SSL_set1_host(s, server_name) != 1)
					goto fail;
			}
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->t_ssl = s;
	*out = t;
	return 0;
fail:
	SSL_free(s);
	ERR_clear_error();
	return -ENOMEM;
}

void tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	SSL_free(t->t_ssl);
	free(t);
}

/* Maps an SSL_get_error() result; fills err on fatal errors. */
static int io_result(struct tls_conn *t, int ret, char err[TLS_ERRLEN], const char *what)
{
	int e = SSL_get_error(t->t_ssl, ret);
	long vr;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0 || errno == ECONNRESET || errno == EPIPE) {
				snprintf(err, TLS_ERRLEN, "%s: connection closed by peer", what);
				return errno == 0 ? TLS_CLOSED : TLS_ERROR;
			}
			snprintf(err, TLS_ERRLEN, "%s: %s", what, strerror(errno));
			return TLS_ERROR;
		}
		/* fall through */
	default:
		vr = SSL_get_verify_result(t->t_ssl);
		if (vr != X509_V_OK) {
			snprintf(err, TLS_ERRLEN, "%s: certificate verification failed: %s", what,
			    X509_verify_cert_error_string(vr));
			ERR_clear_error();
		} else {
			ossl_err(err, what);
		}
		return TLS_ERROR;
	}
}

int tls_handshake(struct tls_conn *t, char err[TLS_ERRLEN])
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(t->t_ssl);
	if (r == 1)
		return 0;
	r = io_result(t, r, err, "TLS handshake");
	return r == TLS_CLOSED ? TLS_ERROR : r;
}

ssize_t tls_read(struct tls_conn *t, void *buf, size_t len, char err[TLS_ERRLEN])
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(t->t_ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	return io_result(t, 0, err, "TLS read");
}

ssize_t tls_write(struct tls_conn *t, const void *buf, size_t len, char err[TLS_ERRLEN])
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(t->t_ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	r = io_result(t, 0, err, "TLS write");
	return r == TLS_CLOSED ? TLS_ERROR : r;
}

size_t tls_pending(const struct tls_conn *t)
{
	int n = SSL_pending(t->t_ssl);

	return n > 0 ? (size_t)n : 0;
}

void tls_shutdown(struct tls_conn *t)
{
	ERR_clear_error();
	(void)SSL_shutdown(t->t_ssl);
	ERR_clear_error();
}

int tls_peer_identity(const struct tls_conn *t, char *buf, size_t len)
{
	X509 *cert = SSL_get0_peer_certificate(t->t_ssl);
	GENERAL_NAMES *sans;
	int found = 0, i;

	if (cert == NULL || len == 0)
		return -ENOENT;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
			int n = ASN1_STRING_length(g->d.dNSName);

			if (n > 0 && (size_t)n < len && memchr(d, 0, (size_t)n) == NULL) {
				memcpy(buf, d, (size_t)n);
				buf[n] = '\0';
				found = 1;
			}
		}
	}
	GENERAL_NAMES_free(sans);
	if (found)
		return 0;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf,
		(int)len) > 0)
		return 0;
	return -ENOENT;
}

const char *tls_version(const struct tls_conn *t)
{
	return SSL_get_version(t->t_ssl);
}
