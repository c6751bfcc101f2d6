/*
 * test_tls.c - gateway/tls.c with the real dev PKI from certs/mkcerts.sh:
 * mutual TLS 1.3 over a socketpair, and each refusal: unknown CA, expired
 * certificate, no client certificate, wrong host name, TLS 1.1, key files
 * readable by others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "testutil.h"
#include "tls.h"

static char *pki;

static char *pf(const char *name)
{
	return tu_path(pki, name);
}

static int group_setup(void **state)
{
	(void)state;
	pki = tu_mkpki("tls", 2);
	return pki != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	tu_rmtree(pki);
	free(pki);
	return 0;
}

struct pair {
	int fds[2];
	struct tls_conn *srv, *cli;
	char serr[TLS_ERRLEN], cerr[TLS_ERRLEN];
	int src, crc;
};

/* Runs both handshakes to completion or failure; returns true if both done. */
static bool handshake(struct tls_ctx *s, struct tls_ctx *c, const char *name, struct pair *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fds), 0);
	assert_int_equal(tls_conn_new(&p->srv, s, p->fds[0], true, NULL), 0);
	assert_int_equal(tls_conn_new(&p->cli, c, p->fds[1], false, name), 0);
	p->src = p->crc = TLS_WANT_READ;
	for (i = 0; i < 100; i++) {
		if (p->crc != 0 && p->crc != TLS_ERROR)
			p->crc = tls_handshake(p->cli, p->cerr);
		if (p->src != 0 && p->src != TLS_ERROR)
			p->src = tls_handshake(p->srv, p->serr);
		if ((p->src == 0 || p->src == TLS_ERROR) && (p->crc == 0 || p->crc == TLS_ERROR))
			break;
	}
	return p->src == 0 && p->crc == 0;
}

static void pair_free(struct pair *p)
{
	tls_conn_free(p->srv);
	tls_conn_free(p->cli);
	close(p->fds[0]);
	close(p->fds[1]);
}

static struct tls_ctx *server(void)
{
	struct tls_ctx *s;
	char err[TLS_ERRLEN];
	char *c = pf("riskgwd.crt"), *k = pf("riskgwd.key"), *ca = pf("ca.crt");

	if (tls_ctx_server(&s, c, k, ca, err) != 0)
		fail_msg("server ctx: %s", err);
	free(c);
	free(k);
	free(ca);
	return s;
}

static struct tls_ctx *client(const char *name)
{
	struct tls_ctx *cl;
	char err[TLS_ERRLEN], cn[64], kn[64];
	char *ca = pf("ca.crt"), *c = NULL, *k = NULL;

	if (name != NULL) {
		snprintf(cn, sizeof(cn), "%s.crt", name);
		snprintf(kn, sizeof(kn), "%s.key", name);
		c = pf(cn);
		k = pf(kn);
	}
	if (tls_ctx_client(&cl, ca, c, k, err) != 0)
		fail_msg("client ctx: %s", err);
	free(ca);
	free(c);
	free(k);
	return cl;
}

static void test_mutual_tls13_and_identity(void **state)
{
	struct tls_ctx *s = server(), *c = client("router1");
	struct pair p;
	char id[64], buf[64], err[TLS_ERRLEN];
	ssize_t n;

	(void)state;
	if (!handshake(s, c, "localhost", &p))
		fail_msg("handshake: server %s / client %s", p.serr, p.cerr);
	assert_string_equal(tls_version(p.srv), "TLSv1.3");
	assert_int_equal(tls_peer_identity(p.srv, id, sizeof(id)), 0);
	assert_string_equal(id, "router1");
	assert_int_equal(tls_peer_identity(p.cli, id, sizeof(id)), 0);
	assert_string_equal(id, "localhost");
	/* data both ways */
	assert_int_equal(tls_write(p.cli, "8=FIX.4.4", 9, err), 9);
	n = tls_read(p.srv, buf, sizeof(buf), err);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "8=FIX.4.4", 9);
	assert_int_equal(tls_read(p.srv, buf, sizeof(buf), err), TLS_WANT_READ);
	/* a clean close is seen as such */
	tls_shutdown(p.cli);
	assert_int_equal(tls_read(p.srv, buf, sizeof(buf), err), TLS_CLOSED);
	pair_free(&p);
	tls_ctx_free(s);
	tls_ctx_free(c);
}

static void expect_refused(struct tls_ctx *s, struct tls_ctx *c, const char *name,
    const char *why)
{
	struct pair p;

	assert_false(handshake(s, c, name, &p));
	if (strstr(p.serr, why) == NULL && strstr(p.cerr, why) == NULL)
		fail_msg("expected '%s'; server said '%s', client said '%s'", why, p.serr, p.cerr);
	pair_free(&p);
}

static void test_refusals(void **state)
{
	struct tls_ctx *s = server(), *c;

	(void)state;
	c = client("rogue");
	expect_refused(s, c, "localhost", "unable to get local issuer certificate");
	tls_ctx_free(c);
	c = client("expired");
	expect_refused(s, c, "localhost", "certificate has expired");
	tls_ctx_free(c);
	c = client(NULL);
	expect_refused(s, c, "localhost", "certificate");
	tls_ctx_free(c);
	c = client("router2");
	expect_refused(s, c, "venue.example", "hostname mismatch");
	expect_refused(s, c, "127.0.0.2", "IP address mismatch");
	tls_ctx_free(c);
	c = client("router2");
	assert_int_equal(tls_ctx_set_max_version(c, TLS1_1_VERSION), 0);
	expect_refused(s, c, "localhost", "");
	tls_ctx_free(c);
	/* and the IP address it is issued for works */
	{
		struct pair p;

		c = client("router2");
		assert_true(handshake(s, c, "127.0.0.1", &p));
		pair_free(&p);
		tls_ctx_free(c);
	}
	tls_ctx_free(s);
}

static void test_key_file_secrecy(void **state)
{
	char *k = pf("router1.key"), *crt = pf("router1.crt"), *ca = pf("ca.crt");
	char *copy = tu_path(pki, "open.key");
	struct tls_ctx *c;
	char err[TLS_ERRLEN];
	size_t len;
	char *buf = tu_read_file(k, &len);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(tu_write_file(copy, buf, len), 0);
	assert_int_equal(chmod(copy, 0640), 0);
	assert_int_equal(tls_ctx_client(&c, ca, crt, copy, err), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(tls_check_key_file(copy, err), -EPERM);
	assert_int_equal(chmod(copy, 0600), 0);
	assert_int_equal(tls_check_key_file(copy, err), 0);
	assert_int_equal(tls_check_key_file("/nonexistent/x.key", err), -ENOENT);
	/* a certificate with another's key */
	assert_int_equal(chmod(copy, 0600), 0);
	{
		char *vk = pf("venue.key");

		assert_true(tls_ctx_client(&c, ca, crt, vk, err) != 0);
		if (strstr(err, "mismatch") == NULL && strstr(err, "do not match") == NULL)
			fail_msg("unexpected error: %s", err);
		free(vk);
	}
	free(buf);
	free(k);
	free(crt);
	free(ca);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_tls13_and_identity),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_key_file_secrecy),
	};

	return cmocka_run_group_tests_name("tls", tests, group_setup, group_teardown);
}
