/*
 * riskgwctl - the operator command line for riskgw.
 *
 * The limits commands work on a local rules.mdb (the file given with -f,
 * else $RISKGW_RULES, else CTL_DEFAULT_RULES); status, sessions, parents,
 * counters and kill ask a running riskgwd over its control socket (-s,
 * else $RISKGW_CONTROL, else CTL_DEFAULT_SOCKET). The commands live in
 * tables in ctl_limits.c, ctl_misc.c and ctl_gw.c; this file finds the
 * command and runs it. Usage is in docs/limits-format.md and
 * docs/control.md.
 *
 * Exit status: 0 success, 1 the command failed ("riskgwctl: <message>" on
 * stderr), 2 bad usage.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static const struct ctl_cmd *const ctl_tables[] = {ctl_cmds_misc, ctl_cmds_limits, ctl_cmds_gw,
    NULL};

static void usage(FILE *f)
{
	const struct ctl_cmd *cmd;
	size_t t;

	fputs("usage: riskgwctl [-f FILE] [-s SOCKET] COMMAND [ARGS]\n"
	      "  -f FILE    the rules store (default: $RISKGW_RULES, else " CTL_DEFAULT_RULES ")\n"
	      "  -s SOCKET  riskgwd's control socket (default: $RISKGW_CONTROL, else "
	      CTL_DEFAULT_SOCKET ")\n"
	      "commands:\n",
	      f);
	for (t = 0; ctl_tables[t] != NULL; t++)
		for (cmd = ctl_tables[t]; cmd->cc_name != NULL; cmd++)
			ctl_print_usage(f, cmd);
	fputs("Writes need --who USER and --reason TEXT; both go to the audit log.\n", f);
}

/* Finds name [sub]. *used gets how many words matched (1 or 2); NULL and
 * *known = true if name exists but sub does not. */
static const struct ctl_cmd *find(const char *name, const char *sub, int *used, bool *known)
{
	const struct ctl_cmd *cmd;
	size_t t;

	*known = false;
	for (t = 0; ctl_tables[t] != NULL; t++) {
		for (cmd = ctl_tables[t]; cmd->cc_name != NULL; cmd++) {
			if (strcmp(cmd->cc_name, name) != 0)
				continue;
			*known = true;
			if (cmd->cc_sub == NULL) {
				*used = 1;
				return cmd;
			}
			if (sub != NULL && strcmp(cmd->cc_sub, sub) == 0) {
				*used = 2;
				return cmd;
			}
		}
	}
	return NULL;
}

static void usage_of(FILE *f, const char *name)
{
	const struct ctl_cmd *cmd;
	size_t t;

	fputs("usage:\n", f);
	for (t = 0; ctl_tables[t] != NULL; t++)
		for (cmd = ctl_tables[t]; cmd->cc_name != NULL; cmd++)
			if (strcmp(cmd->cc_name, name) == 0)
				ctl_print_usage(f, cmd);
}

int main(int argc, char **argv)
{
	struct ctl c = {0};
	const struct ctl_cmd *cmd;
	int ch, used = 0, rc;
	bool known;

	c.c_path = getenv("RISKGW_RULES");
	if (c.c_path == NULL || *c.c_path == '\0')
		c.c_path = CTL_DEFAULT_RULES;
	c.c_socket = getenv("RISKGW_CONTROL");
	if (c.c_socket == NULL || *c.c_socket == '\0')
		c.c_socket = CTL_DEFAULT_SOCKET;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+f:s:h")) != -1) {
		switch (ch) {
		case 'f':
			c.c_path = optarg;
			break;
		case 's':
			c.c_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case '?':
		default:
			if (optopt == 'f')
				fputs("riskgwctl: -f needs a FILE\n", stderr);
			else if (optopt == 's')
				fputs("riskgwctl: -s needs a SOCKET\n", stderr);
			else
				fprintf(stderr, "riskgwctl: unknown option -%c\n", optopt);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fputs("riskgwctl: no command given\n", stderr);
		usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return CTL_OK;
	}
	cmd = find(argv[0], argc > 1 ? argv[1] : NULL, &used, &known);
	if (cmd == NULL) {
		if (!known) {
			fprintf(stderr, "riskgwctl: unknown command \"%s\"\n", argv[0]);
			usage(stderr);
		} else {
			if (argc > 1)
				fprintf(stderr, "riskgwctl: unknown subcommand \"%s %s\"\n",
				        argv[0], argv[1]);
			else
				fprintf(stderr, "riskgwctl: \"%s\" needs a subcommand\n", argv[0]);
			usage_of(stderr, argv[0]);
		}
		return CTL_USAGE;
	}
	/* The command sees argv[0] = its last name word, then its arguments:
	 * the layout getopt expects. */
	rc = cmd->cc_run(&c, cmd, argc - used + 1, argv + used - 1);
	ctl_close(&c);
	return rc;
}
