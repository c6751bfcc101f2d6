/*
 * ctl_util.c - helpers shared by the riskgwctl commands: messages, option
 * parsing, opening the store, input and atomic output files.
 */
#include "config.h"

#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTL_RETRIES 8

int ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("riskgwctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_ERR;
}

void ctl_seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, RULES_ERRLEN, fmt, ap);
	va_end(ap);
}

void ctl_print_usage(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "  riskgwctl %s %s%s%s%s%s\n", ctl_cmd_is_gw(cmd) ? "[-s SOCKET]" : "[-f FILE]",
	        cmd->cc_name, cmd->cc_sub ? " " : "",
	        cmd->cc_sub ? cmd->cc_sub : "", *cmd->cc_args ? " " : "", cmd->cc_args);
}

int ctl_usage(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("riskgwctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage:\n", stderr);
	ctl_print_usage(stderr, cmd);
	return CTL_USAGE;
}

int ctl_open(struct ctl *c, unsigned flags)
{
	char err[RULES_ERRLEN];
	int rc;

	rc = rules_store_open(&c->c_store, c->c_path, flags, 0, err);
	if (rc == -ENOENT && !(flags & RULES_STORE_CREATE))
		return ctl_err("%s: no such file (create it with 'riskgwctl -f %s init')",
		               c->c_path, c->c_path);
	if (rc != 0) {
		c->c_store = NULL;
		return ctl_err("%s: %s", c->c_path, err);
	}
	return CTL_OK;
}

void ctl_close(struct ctl *c)
{
	if (c->c_store != NULL)
		rules_store_close(c->c_store);
	c->c_store = NULL;
}

int ctl_getopt(const struct ctl_cmd *cmd, int argc, char **argv, const char *allowed,
               struct ctl_opts *o, int *first_operand)
{
	static const struct option longopts[] = {
	    {"who", required_argument, NULL, 'w'},
	    {"reason", required_argument, NULL, 'r'},
	    {"replace", no_argument, NULL, 'R'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"from", required_argument, NULL, 'F'},
	    {"json", no_argument, NULL, 'j'},
	    {"scope", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	/* optind = 0, not 1: glibc (and musl) then re-initialise getopt
	 * completely, dropping the "+" (stop at the first operand) that
	 * main's own getopt call left behind. Options may follow operands;
	 * "-" alone stays an operand; the leading ':' reports a missing
	 * option argument as ':'. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == '?') {
			if (optopt != 0)
				return ctl_usage(cmd, "unknown option -%c", optopt);
			return ctl_usage(cmd, "unknown option %s", argv[optind - 1]);
		}
		if (ch == ':')
			return ctl_usage(cmd, "%s needs an argument", argv[optind - 1]);
		if (strchr(allowed, ch) == NULL)
			return ctl_usage(cmd, "%s is not an option of this command",
			                 argv[optind - 1]);
		switch (ch) {
		case 'w':
			o->co_actor.ra_who = optarg;
			break;
		case 'r':
			o->co_actor.ra_reason = optarg;
			break;
		case 'R':
			o->co_replace = true;
			break;
		case 'n':
			o->co_dryrun = true;
			break;
		case 'F':
			o->co_from = optarg;
			break;
		case 'j':
			o->co_json = true;
			break;
		case 'S':
			o->co_scope = optarg;
			break;
		default:
			return ctl_usage(cmd, "bad option");
		}
	}
	*first_operand = optind;
	return CTL_OK;
}

int ctl_need_actor(const struct ctl_cmd *cmd, const struct ctl_opts *o)
{
	char err[RULES_ERRLEN];

	if (o->co_actor.ra_who == NULL)
		return ctl_usage(cmd, "--who USER is required");
	if (o->co_actor.ra_reason == NULL)
		return ctl_usage(cmd, "--reason TEXT is required");
	if (rules_actor_validate(&o->co_actor, err) != 0)
		return ctl_usage(cmd, "%s", err);
	return CTL_OK;
}

FILE *ctl_in(const char *name)
{
	FILE *f;

	if (strcmp(name, "-") == 0)
		return stdin;
	f = fopen(name, "r");
	if (f == NULL)
		ctl_err("%s: %s", name, strerror(errno));
	return f;
}

void ctl_in_close(FILE *f)
{
	if (f != NULL && f != stdin)
		fclose(f);
}

int ctl_out_open(struct ctl_out *o, const char *name)
{
	char *dup, *dir;
	mode_t um;
	int fd;

	memset(o, 0, sizeof(*o));
	if (name == NULL || strcmp(name, "-") == 0) {
		o->co_f = stdout;
		return CTL_OK;
	}
	o->co_name = name;
	dup = strdup(name);
	if (dup == NULL)
		return ctl_err("out of memory");
	dir = dirname(dup);
	if (asprintf(&o->co_tmp, "%s/.riskgwctl-XXXXXX", dir) < 0) {
		o->co_tmp = NULL;
		free(dup);
		return ctl_err("out of memory");
	}
	free(dup);
	fd = mkstemp(o->co_tmp);
	if (fd < 0) {
		int e = errno;

		free(o->co_tmp);
		o->co_tmp = NULL;
		return ctl_err("%s: cannot create a temporary file next to it: %s", name,
		               strerror(e));
	}
	/* mkstemp makes 0600; give the file the mode a plain create would. */
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	o->co_f = fdopen(fd, "w");
	if (o->co_f == NULL) {
		int e = errno;

		close(fd);
		ctl_out_abort(o);
		return ctl_err("%s: %s", name, strerror(e));
	}
	return CTL_OK;
}

int ctl_out_commit(struct ctl_out *o)
{
	int e;

	if (o->co_tmp == NULL) {
		if (fflush(o->co_f) != 0 || ferror(o->co_f))
			return ctl_err("writing the output: %s", strerror(errno));
		return CTL_OK;
	}
	if (fflush(o->co_f) != 0 || ferror(o->co_f) || fsync(fileno(o->co_f)) != 0) {
		e = errno;
		ctl_out_abort(o);
		return ctl_err("%s: %s", o->co_name, strerror(e));
	}
	if (fclose(o->co_f) != 0) {
		e = errno;
		o->co_f = NULL;
		ctl_out_abort(o);
		return ctl_err("%s: %s", o->co_name, strerror(e));
	}
	o->co_f = NULL;
	if (rename(o->co_tmp, o->co_name) != 0) {
		e = errno;
		ctl_out_abort(o);
		return ctl_err("%s: %s", o->co_name, strerror(e));
	}
	free(o->co_tmp);
	o->co_tmp = NULL;
	return CTL_OK;
}

void ctl_out_abort(struct ctl_out *o)
{
	if (o->co_tmp != NULL) {
		if (o->co_f != NULL)
			fclose(o->co_f);
		(void)unlink(o->co_tmp);
		free(o->co_tmp);
		o->co_tmp = NULL;
	}
	o->co_f = NULL;
}

int ctl_rmw(struct ctl *c, int (*read)(struct ctl *, void *arg),
            int (*write)(struct ctl *, void *arg, struct rules_wr *wr, char err[RULES_ERRLEN]),
            void *arg)
{
	char err[RULES_ERRLEN];
	struct rules_wr *wr;
	uint64_t seen;
	int attempt, rc;

	for (attempt = 0; attempt < CTL_RETRIES; attempt++) {
		rc = rules_store_rd_begin(c->c_store, &seen);
		if (rc == 0) {
			rc = read(c, arg);
			rules_store_rd_end(c->c_store);
		}
		if (rc != 0)
			return ctl_err("%s: reading: %s", c->c_path, rules_strerror(rc));
		rc = rules_store_wr_begin(c->c_store, &wr, err);
		if (rc != 0)
			return ctl_err("%s: %s", c->c_path, err);
		if (rules_store_last_txnid(c->c_store) != seen) {
			rules_wr_abort(wr); /* another writer committed: read again */
			continue;
		}
		rc = write(c, arg, wr, err);
		if (rc != 0) {
			rules_wr_abort(wr);
			return ctl_err("%s", err);
		}
		rc = rules_wr_commit(wr, err);
		if (rc != 0)
			return ctl_err("%s: commit: %s", c->c_path, err);
		return CTL_OK;
	}
	return ctl_err("%s: the store kept changing; try again", c->c_path);
}
