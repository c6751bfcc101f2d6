/*
 * sim_util.c - see sim_util.h.
 */
#include "config.h"

#include "sim_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "fixed.h"

/* ---- options ------------------------------------------------------------------- */

int sim_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int sim_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int sim_parse_addr(const char *s, struct sockaddr_in *out)
{
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	char host[64];
	int64_t port;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (sim_parse_i64(colon + 1, 0, 65535, &port) != 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		out->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

int sim_parse_fix_version(const char *s, int *out)
{
	if (s == NULL)
		return -EINVAL;
	if (strncmp(s, "FIX.", 4) == 0)
		s += 4;
	if (strcmp(s, "4.2") == 0)
		*out = 1;
	else if (strcmp(s, "4.4") == 0)
		*out = 2;
	else
		return -EINVAL;
	return 0;
}

/* ---- PRNG ---------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->r_s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->r_s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	return n > 1 ? sim_rng_next(r) % n : 0;
}

double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- clocks -------------------------------------------------------------------- */

int64_t sim_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SIM_NSEC + ts.tv_nsec;
}

int64_t sim_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SIM_NSEC + ts.tv_nsec;
}

/* ---- output -------------------------------------------------------------------- */

void sim_json_str(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

const char *sim_px_str(int64_t px, char buf[24])
{
	if (rules_px_format(px, buf, 24) < 0)
		snprintf(buf, 24, "?");
	return buf;
}

void sim_json_px(FILE *f, int64_t px)
{
	char b[24];

	fprintf(f, "\"%s\"", sim_px_str(px, b));
}

size_t sim_utoa(uint64_t v, char *buf)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int sim_write_file(const char *path, int (*fn)(FILE *, void *), void *arg)
{
	char tmp[4096];
	FILE *f;
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((f = fopen(tmp, "w")) == NULL)
		return -errno;
	rc = fn(f, arg) != 0 ? -EIO : 0;
	if (fflush(f) != 0 || ferror(f))
		rc = -(errno ? errno : EIO);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* ---- signals ------------------------------------------------------------------- */

static struct {
	void (*cb)(int, void *);
	void *arg;
} sig_owner;

static void on_signalfd(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct signalfd_siginfo si;

	(void)l;
	(void)ev;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		sig_owner.cb((int)si.ssi_signo, sig_owner.arg);
}

int sim_signals(struct loop *l, const int *sigs, size_t n, void (*cb)(int, void *), void *arg)
{
	sigset_t set;
	size_t i;
	int fd, rc;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	sig_owner.cb = cb;
	sig_owner.arg = arg;
	if ((rc = loop_watch(l, fd, LOOP_READ, on_signalfd, NULL)) != 0) {
		close(fd);
		return rc;
	}
	return fd;
}
