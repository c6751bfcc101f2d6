/*
 * ctl.h - riskgwctl internals: the command table and the helpers the
 * command files (ctl_*.c) share.
 *
 * Exit status of every command: CTL_OK, CTL_ERR (the command failed; one
 * "riskgwctl: <message>" line on stderr) or CTL_USAGE (bad arguments; the
 * message and the command's usage on stderr).
 */
#ifndef RG_CTL_H
#define RG_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "rules.h"
#include "store.h"

enum { CTL_OK = 0, CTL_ERR = 1, CTL_USAGE = 2 };

/* Where the rules live when neither -f nor $RISKGW_RULES says otherwise. */
#define CTL_DEFAULT_RULES "/var/lib/riskgw/rules.mdb"
/* riskgwd's control socket when neither -s nor $RISKGW_CONTROL says otherwise. */
#define CTL_DEFAULT_SOCKET "/run/riskgw/control.sock"

struct ctl;

/* One command: "limits export", "init", ... cc_sub is NULL for a command
 * without a subcommand. cc_run gets argv starting at the command's first
 * argument after the (sub)command name, with argv[0] naming the command
 * (for getopt), and returns an exit status. */
struct ctl_cmd {
	const char *cc_name;
	const char *cc_sub;
	int (*cc_run)(struct ctl *, const struct ctl_cmd *, int argc, char **argv);
	const char *cc_args; /* usage after "riskgwctl [-f FILE] NAME SUB " */
	const char *cc_help; /* one line */
};

struct ctl {
	const char *c_path;          /* rules.mdb */
	struct rules_store *c_store; /* open after ctl_open() */
	const char *c_socket;        /* riskgwd's control socket */
};

/* The command tables of each file, NULL-name terminated. ctl_cmds_gw (the
 * commands that ask a running riskgwd, ctl_gw.c) comes after
 * ctl_cmds_limits, whose "parents export-csv" shares its first word with
 * "parents". */
extern const struct ctl_cmd ctl_cmds_limits[];
extern const struct ctl_cmd ctl_cmds_misc[];
extern const struct ctl_cmd ctl_cmds_gw[];
/* True for a command of ctl_cmds_gw (its usage shows -s, not -f). */
bool ctl_cmd_is_gw(const struct ctl_cmd *);

/* Prints "riskgwctl: <message>" to stderr; returns CTL_ERR. */
int ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "riskgwctl: <message>" and the command's usage to stderr; returns
 * CTL_USAGE. */
int ctl_usage(const struct ctl_cmd *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills err (RULES_ERRLEN bytes) like snprintf; a long message is cut. */
void ctl_seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints one usage line of cmd to f. */
void ctl_print_usage(FILE *f, const struct ctl_cmd *cmd);

/* Opens c->c_path with RULES_STORE_* flags (RDONLY for commands that only
 * read, CREATE for init). Returns CTL_OK or CTL_ERR (message printed). */
int ctl_open(struct ctl *c, unsigned flags);
void ctl_close(struct ctl *c);

/*
 * Options shared by the write commands. ctl_getopt() parses argv with
 * getopt_long; "allowed" is a string of the option letters this command
 * takes: 'w' --who, 'r' --reason, 'R' --replace, 'n' --dry-run, 'F' --from,
 * 'j' --json. On return argv[*optind..argc) are the operands. Returns CTL_OK
 * or CTL_USAGE (message printed). The actor fields point into argv.
 */
struct ctl_opts {
	struct rules_actor co_actor;
	bool co_replace;
	bool co_dryrun;
	bool co_json;
	const char *co_from;
	const char *co_scope;
};
int ctl_getopt(const struct ctl_cmd *cmd, int argc, char **argv, const char *allowed,
               struct ctl_opts *o, int *first_operand);

/* For commands that write: checks that --who and --reason were given and
 * are valid. Returns CTL_OK or CTL_USAGE (message printed). */
int ctl_need_actor(const struct ctl_cmd *cmd, const struct ctl_opts *o);

/* Opens an input: "-" is stdin. Returns NULL after printing the error. */
FILE *ctl_in(const char *name);
void ctl_in_close(FILE *f);

/*
 * An output file, written atomically: ctl_out_open() returns stdout for
 * "-" (or NULL name), otherwise a temporary file next to name;
 * ctl_out_commit() flushes, fsyncs and renames it over name, or for
 * stdout flushes. ctl_out_abort() removes the temporary file. Each
 * returns/handles errors by printing them; ctl_out_commit returns CTL_OK
 * or CTL_ERR.
 */
struct ctl_out {
	FILE *co_f;
	const char *co_name; /* NULL: stdout */
	char *co_tmp;
};
int ctl_out_open(struct ctl_out *o, const char *name);
int ctl_out_commit(struct ctl_out *o);
void ctl_out_abort(struct ctl_out *o);

/*
 * Runs a read-modify-write safely against other writers: reads a snapshot
 * (its txn id), then begins a write batch and checks that nobody committed
 * in between, else retries. read(c, arg) runs between rd_begin and rd_end
 * and returns 0 or a librules error code; write(c, arg, wr, err) runs in
 * the batch and returns 0 or a code with err filled. The batch is
 * committed when write returns 0. Returns CTL_OK or CTL_ERR (printed).
 */
int ctl_rmw(struct ctl *c, int (*read)(struct ctl *, void *arg),
            int (*write)(struct ctl *, void *arg, struct rules_wr *wr, char err[RULES_ERRLEN]),
            void *arg);

#endif
