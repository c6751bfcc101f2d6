/*
 * testutil.c - helpers shared by the cmocka unit test drivers.
 */
#include "config.h"

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void tu_die(const char *what, const char *arg)
{
	fprintf(stderr, "testutil: %s %s: %s\n", what, arg, strerror(errno));
	abort();
}

char *tu_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char *p;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (asprintf(&p, "%s/riskgw-%s-XXXXXX", tmp, tag) < 0)
		tu_die("asprintf", tag);
	if (mkdtemp(p) == NULL)
		tu_die("mkdtemp", p);
	return p;
}

char *tu_mkpki(const char *tag, int routers)
{
	const char *src = getenv("top_srcdir");
	char *dir = tu_mkdtemp(tag), cmd[1024];

	snprintf(cmd, sizeof(cmd), "sh '%s/certs/mkcerts.sh' '%s' %d >/dev/null 2>&1",
	    src != NULL ? src : ".", dir, routers);
	if (system(cmd) != 0) {
		fprintf(stderr, "testutil: certs/mkcerts.sh failed (top_srcdir=%s)\n",
		    src != NULL ? src : "(unset)");
		tu_rmtree(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

void tu_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d == NULL) {
		(void)unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = tu_path(path, de->d_name);
		if (de->d_type == DT_DIR)
			tu_rmtree(sub);
		else
			(void)unlink(sub);
		free(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

char *tu_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		tu_die("asprintf", name);
	return p;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int tu_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = buf;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}
