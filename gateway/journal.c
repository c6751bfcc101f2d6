/*
 * journal.c - journal.mdb on LMDB (journal.h): open and verify, the turn's
 * write transaction, reads, writes.
 *
 * The journal keeps one read transaction for its whole life, reset between
 * uses and renewed for the next (a read allocates nothing); MDB_NOTLS ties
 * its reader slot to the transaction, not the thread, so that it and the
 * turn's write transaction can coexist in riskgwd's one thread. A read made
 * while a turn is open uses the turn's write transaction instead, so that it
 * sees the turn's writes (a ResendRequest answered in the same turn as the
 * send it asks for).
 *
 * Records are encoded and checked by journal_rec.c; events are built and
 * checked by journal_ev.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "journal.h"
#include "journal_rec.h"
#include "record.h"
#include "rules.h"

#define JOURNAL_FILE_MODE 0600 /* riskgwd alone reads and writes it */

enum jdb { JDB_META, JDB_SESSIONS, JDB_MSGS, JDB_EVENTS, JDB_KILL, JDB_COUNT };
static const char *const jdb_names[JDB_COUNT] = {
	[JDB_META] = "meta",
	[JDB_SESSIONS] = "sessions",
	[JDB_MSGS] = "msgs",
	[JDB_EVENTS] = "events",
	[JDB_KILL] = "kill",
};

#define META_SCHEMA "schema_version"
#define META_DAY "trading_day"
#define KILL_KEY "state"
#define SCOPE_PREFIX "scope/"
#define LOG_PREFIX "log/"
#define LOG_KEY_LEN (sizeof(LOG_PREFIX) - 1 + 8)

/*
 * The outbound messages of one session in the current turn, gathered into
 * one MSGS record (journal_rec.h) that journal_commit() (or a read of that
 * session, or a full buffer) writes with one put: one LMDB insert per
 * session and turn instead of one per message. jp_top is the highest seq
 * stored for the session, committed or pending (0: none, JP_UNKNOWN: not
 * looked up since the last abort), so that a seq at or below it, which
 * must replace a stored message, takes the slow path.
 */
#define JP_CAP ((size_t)256 << 10)
#define JP_UNKNOWN UINT64_MAX
struct jpend {
	char jp_name[JOURNAL_NAME_MAX + 1];
	uint8_t *jp_buf;    /* JP_CAP bytes: header room, then the entries */
	size_t jp_len;      /* bytes used, JOURNAL_MSGS_HDR when empty */
	uint32_t jp_count;
	uint64_t jp_first;
	uint64_t jp_top;
};

struct journal {
	MDB_env *j_env;
	MDB_dbi j_dbi[JDB_COUNT];
	MDB_txn *j_wtxn;         /* the turn's write transaction, NULL outside a turn */
	int j_dead;              /* non-zero: the error that killed this turn */
	MDB_txn *j_rtxn;         /* the read transaction, reset when not in use */
	unsigned j_rdepth;       /* users of j_rtxn now */
	uint64_t j_last_ev;      /* last event number, the turn included */
	uint64_t j_last_ev_done; /* last committed event number */
	uint64_t j_last_kl;      /* last kill log seq, the turn included */
	uint64_t j_last_kl_done; /* last committed kill log seq */
	unsigned j_readers_cleared;
	char *j_path;            /* for messages */
	int j_fd;                /* the file, for reserve() (-1: no reserve) */
	char *j_map;             /* LMDB's map of it (find_map()), NULL: not found */
	size_t j_psize;          /* LMDB's page size */
	size_t j_reserve;        /* jc_reserve, whole pages */
	size_t j_reserved;       /* end of the bytes written and mapped ahead */
	struct jpend *j_pend;    /* per session seen, in first-use order */
	unsigned j_npend;
};

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RULES_ERRLEN, fmt, ap);
	va_end(ap);
}

static size_t map_size(const struct journal *j)
{
	MDB_envinfo info;

	return mdb_env_info(j->j_env, &info) == 0 ? info.me_mapsize : 0;
}

/* ---- verification at open ---------------------------------------------------- */

static bool key_is(const MDB_val *k, const char *name)
{
	return k->mv_size == strlen(name) && memcmp(k->mv_data, name, k->mv_size) == 0;
}

/* Copies a sessions key into name; false if it is not a valid name. */
static bool key_name(const MDB_val *k, char name[JOURNAL_NAME_MAX + 1])
{
	if (k->mv_size == 0 || k->mv_size > JOURNAL_NAME_MAX)
		return false;
	memcpy(name, k->mv_data, k->mv_size);
	name[k->mv_size] = '\0';
	return journal_name_valid(name);
}

/* What verification carries from one record to the next. */
struct vstate {
	uint64_t vs_next_ev;    /* the number the next event must have */
	uint64_t vs_next_kl;    /* the number the next kill log record must have */
	MDB_val vs_prev;        /* the previous msgs key */
	uint64_t vs_prev_last;  /* the last seq of the previous msgs record */
};

/* Decodes one record of db. */
static int check_record(enum jdb db, const MDB_val *k, const MDB_val *v, struct vstate *vs,
    const char **why)
{
	char name[JOURNAL_NAME_MAX + 1];
	int rc = 0;

	switch (db) {
	case JDB_META: {
		uint32_t x = 0;

		if (!key_is(k, META_SCHEMA) && !key_is(k, META_DAY)) {
			*why = "unknown meta key";
			return RULES_ECORRUPT;
		}
		if ((rc = rules_rec_dec_u32(v->mv_data, v->mv_size, &x, why)) != 0)
			return rc;
		if (key_is(k, META_DAY) && !journal_day_valid(x)) {
			*why = "trading_day is not YYYYMMDD";
			return RULES_ECORRUPT;
		}
		return 0;
	}
	case JDB_SESSIONS: {
		struct journal_session s;

		if (!key_name(k, name)) {
			*why = "bad session name key";
			return RULES_ECORRUPT;
		}
		return journal_rec_dec_session(v->mv_data, v->mv_size, &s, why);
	}
	case JDB_MSGS: {
		struct journal_msgs_it it;
		uint64_t kseq;

		if ((rc = journal_rec_msg_key_dec(k->mv_data, k->mv_size, NULL, &kseq, why)) != 0 ||
		    (rc = journal_rec_dec_msgs(v->mv_data, v->mv_size, &it, why)) != 0)
			return rc;
		if (kseq != it.mi_first) {
			*why = "message under another seq's key";
			return RULES_ECORRUPT;
		}
		/* one session's records follow each other: no overlap */
		if (vs->vs_prev.mv_size == k->mv_size &&
		    memcmp(vs->vs_prev.mv_data, k->mv_data, k->mv_size - 8) == 0 &&
		    kseq <= vs->vs_prev_last) {
			*why = "message batches overlap";
			return RULES_ECORRUPT;
		}
		vs->vs_prev = *k;
		vs->vs_prev_last = it.mi_last;
		return 0;
	}
	case JDB_EVENTS: {
		struct journal_event ev;
		uint64_t seq;

		if ((rc = rules_rec_seq_key_dec(k->mv_data, k->mv_size, &seq, why)) != 0 ||
		    (rc = journal_rec_dec_event(v->mv_data, v->mv_size, &ev, why)) != 0)
			return rc;
		if (ev.ev_seq != seq) {
			*why = "event under another number's key";
			return RULES_ECORRUPT;
		}
		if (seq != vs->vs_next_ev) {
			*why = "gap in the event log";
			return RULES_ECORRUPT;
		}
		vs->vs_next_ev++;
		return 0;
	}
	case JDB_KILL: {
		struct journal_kill kr;
		struct journal_kill_log kl;
		size_t pl = strlen(SCOPE_PREFIX);

		if (key_is(k, KILL_KEY))
			return journal_rec_dec_kill(v->mv_data, v->mv_size, &kr, why);
		if (k->mv_size > pl && k->mv_size <= pl + JOURNAL_SCOPE_MAX &&
		    memcmp(k->mv_data, SCOPE_PREFIX, pl) == 0) {
			char scope[JOURNAL_SCOPE_MAX + 1];

			memcpy(scope, (const char *)k->mv_data + pl, k->mv_size - pl);
			scope[k->mv_size - pl] = '\0';
			if (!journal_scope_valid(scope)) {
				*why = "bad kill scope key";
				return RULES_ECORRUPT;
			}
			if ((rc = journal_rec_dec_kill(v->mv_data, v->mv_size, &kr, why)) != 0)
				return rc;
			if (kr.jk_state != JOURNAL_KILL_TRIPPED) {
				*why = "an armed scope left in the kill database";
				return RULES_ECORRUPT;
			}
			return 0;
		}
		if (k->mv_size == LOG_KEY_LEN && memcmp(k->mv_data, LOG_PREFIX, LOG_KEY_LEN - 8) == 0) {
			uint64_t seq;

			if ((rc = rules_rec_seq_key_dec((const char *)k->mv_data + LOG_KEY_LEN - 8, 8,
				 &seq, why)) != 0 ||
			    (rc = journal_rec_dec_kill_log(v->mv_data, v->mv_size, &kl, why)) != 0)
				return rc;
			if (kl.kl_seq != seq) {
				*why = "kill log line under another number's key";
				return RULES_ECORRUPT;
			}
			if (seq != vs->vs_next_kl) {
				*why = "gap in the kill log";
				return RULES_ECORRUPT;
			}
			vs->vs_next_kl++;
			return 0;
		}
		*why = "unknown kill key";
		return RULES_ECORRUPT;
	}
	case JDB_COUNT:
		break;
	}
	return 0;
}

/* Walks every record of every database and decodes it; sets j_last_ev. */
static int verify_records(struct journal *j, MDB_txn *txn, char *err)
{
	struct vstate vs = {1, 1, {0, NULL}, 0};

	for (int db = 0; db < JDB_COUNT; db++) {
		MDB_cursor *cur;
		MDB_val k, v;
		size_t nrec = 0;
		int rc;

		if ((rc = mdb_cursor_open(txn, j->j_dbi[db], &cur)) != 0) {
			seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			const char *why = "bad record";

			nrec++;
			if (check_record((enum jdb)db, &k, &v, &vs, &why) != 0) {
				mdb_cursor_close(cur);
				seterr(err, "%s: corrupt: database '%s': %s (record #%zu)", j->j_path,
				    jdb_names[db], why, nrec);
				return RULES_ECORRUPT;
			}
		}
		mdb_cursor_close(cur);
		if (rc != MDB_NOTFOUND) {
			seterr(err, "%s: database '%s': %s", j->j_path, jdb_names[db],
			    mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
	}
	j->j_last_ev = j->j_last_ev_done = vs.vs_next_ev - 1;
	j->j_last_kl = j->j_last_kl_done = vs.vs_next_kl - 1;
	return 0;
}

/* Only our databases may be named in the main database. */
static int verify_main(struct journal *j, MDB_txn *txn, char *err)
{
	MDB_cursor *cur;
	MDB_dbi main_dbi;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, main_dbi, &cur)) != 0) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		bool known = false;

		for (int db = 0; db < JDB_COUNT; db++)
			known = known || key_is(&k, jdb_names[db]);
		if (!known) {
			mdb_cursor_close(cur);
			seterr(err, "%s: corrupt: unknown database '%.*s'", j->j_path,
			    (int)(k.mv_size > 32 ? 32 : k.mv_size), (const char *)k.mv_data);
			return RULES_ECORRUPT;
		}
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	return 0;
}

/* Opens the databases in a read transaction, checks the schema version and
 * every record; commits (keeping the handles) on success. */
static int verify(struct journal *j, char *err)
{
	const char *why = NULL;
	uint32_t version = 0;
	MDB_txn *txn;
	MDB_val k = {strlen(META_SCHEMA), (void *)META_SCHEMA}, v;
	int rc;

	if ((rc = mdb_txn_begin(j->j_env, NULL, MDB_RDONLY, &txn)) != 0) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	/* The schema first: a newer file may have other databases. */
	if ((rc = mdb_dbi_open(txn, jdb_names[JDB_META], 0, &j->j_dbi[JDB_META])) != 0) {
		seterr(err, "%s: corrupt: no '%s' database (%s)", j->j_path, jdb_names[JDB_META],
		    mdb_strerror(rc));
		rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
		goto fail;
	}
	if ((rc = mdb_get(txn, j->j_dbi[JDB_META], &k, &v)) != 0) {
		seterr(err, "%s: corrupt: no schema_version (%s)", j->j_path, mdb_strerror(rc));
		rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
		goto fail;
	}
	if ((rc = rules_rec_dec_u32(v.mv_data, v.mv_size, &version, &why)) != 0) {
		seterr(err, "%s: corrupt: schema_version: %s", j->j_path, why);
		goto fail;
	}
	if (version > JOURNAL_SCHEMA_VERSION) {
		seterr(err, "%s: journal schema %u is newer than this binary's %u: refusing it",
		    j->j_path, (unsigned)version, (unsigned)JOURNAL_SCHEMA_VERSION);
		rc = RULES_ESCHEMA;
		goto fail;
	}
	if (version != JOURNAL_SCHEMA_VERSION && version != 1) {
		seterr(err, "%s: corrupt: schema_version %u", j->j_path, (unsigned)version);
		rc = RULES_ECORRUPT;
		goto fail;
	}
	for (int db = 1; db < JDB_COUNT; db++) {
		if ((rc = mdb_dbi_open(txn, jdb_names[db], 0, &j->j_dbi[db])) != 0) {
			seterr(err, "%s: corrupt: no '%s' database (%s)", j->j_path, jdb_names[db],
			    mdb_strerror(rc));
			rc = rc == MDB_NOTFOUND ? RULES_ECORRUPT : rules_mdb_err(rc);
			goto fail;
		}
	}
	if ((rc = verify_main(j, txn, err)) != 0 || (rc = verify_records(j, txn, err)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	if (version != JOURNAL_SCHEMA_VERSION) {
		/* Schema 1 (one record per message) reads as it is; the next
		 * writes are schema 2's, so the file says 2 from now on. */
		uint8_t buf[RULES_REC_BUFLEN];

		v.mv_data = buf;
		v.mv_size = rules_rec_enc_u32(buf, JOURNAL_SCHEMA_VERSION);
		if ((rc = mdb_txn_begin(j->j_env, NULL, 0, &txn)) == 0) {
			if ((rc = mdb_put(txn, j->j_dbi[JDB_META], &k, &v, 0)) != 0)
				mdb_txn_abort(txn);
			else
				rc = mdb_txn_commit(txn);
		}
		if (rc != 0) {
			seterr(err, "%s: cannot upgrade the schema to %u: %s", j->j_path,
			    (unsigned)JOURNAL_SCHEMA_VERSION, mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
	}
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

/* Creates the databases and writes the schema version in a file whose main
 * database is empty (new, or made by a run that died before this). */
static int initialise(struct journal *j, char *err)
{
	uint8_t buf[RULES_REC_BUFLEN];
	MDB_txn *txn;
	MDB_val k = {strlen(META_SCHEMA), (void *)META_SCHEMA}, v;
	int rc;

	if ((rc = mdb_txn_begin(j->j_env, NULL, 0, &txn)) != 0)
		goto fail_notxn;
	for (int db = 0; db < JDB_COUNT; db++)
		if ((rc = mdb_dbi_open(txn, jdb_names[db], MDB_CREATE, &j->j_dbi[db])) != 0)
			goto fail;
	v.mv_data = buf;
	v.mv_size = rules_rec_enc_u32(buf, JOURNAL_SCHEMA_VERSION);
	if ((rc = mdb_put(txn, j->j_dbi[JDB_META], &k, &v, MDB_NOOVERWRITE)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail_notxn;
	return 0;
fail:
	mdb_txn_abort(txn);
fail_notxn:
	seterr(err, "%s: cannot initialise: %s", j->j_path, mdb_strerror(rc));
	return rules_mdb_err(rc);
}

/* The end of the last page LMDB uses in the file (its high-water mark). */
static uint64_t pages_end(const MDB_envinfo *info, size_t psize)
{
	return ((uint64_t)info->me_last_pgno + 1) * psize;
}

/* Refuses a file shorter than LMDB's last page: touching a page beyond the
 * end of the file would SIGBUS. Returns 0, RULES_ECORRUPT or an error. */
static int check_size(struct journal *j, char *err)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	uint64_t need;
	int rc, fd = -1;

	if ((rc = mdb_env_info(j->j_env, &info)) != 0 || (rc = mdb_env_stat(j->j_env, &ms)) != 0 ||
	    (rc = mdb_env_get_fd(j->j_env, &fd)) != 0) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		seterr(err, "%s: %s", j->j_path, strerror(errno));
		return rc;
	}
	need = pages_end(&info, ms.ms_psize);
	if ((uint64_t)sb.st_size < need) {
		seterr(err, "%s: corrupt: truncated (%lld bytes, LMDB's last page needs %llu)",
		    j->j_path, (long long)sb.st_size, (unsigned long long)need);
		return RULES_ECORRUPT;
	}
	return 0;
}

/* One writer process: an exclusive flock on the data file, released by the
 * kernel when the process dies however it dies. LMDB (0.9.24) opens the
 * file without O_CLOEXEC: a command riskgwd runs (an alert hook) would
 * inherit the descriptor, and with it the lock, and a restart would find
 * the journal "in use" for as long as that command lives. */
static int lock_file(struct journal *j, char *err)
{
	int fd = -1, rc, fl;

	if ((rc = mdb_env_get_fd(j->j_env, &fd)) != 0) {
		seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
		return rules_mdb_err(rc);
	}
	if ((fl = fcntl(fd, F_GETFD)) < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) {
		rc = -errno;
		seterr(err, "%s: fcntl: %s", j->j_path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			seterr(err, "%s: in use by another process (another riskgwd?)", j->j_path);
			return -EBUSY;
		}
		seterr(err, "%s: flock: %s", j->j_path, strerror(-rc));
		return rc;
	}
	return 0;
}

/* LMDB's map of the file. mdb_env_info()'s me_mapaddr is only the address
 * asked for with MDB_FIXEDMAP (NULL otherwise), so the map is looked up in
 * /proc/self/maps: the mapping of this file (device and inode) from offset
 * 0 with the map's size. NULL if there is none such. */
static char *find_map(int fd, size_t mapsize)
{
	struct stat st;
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f;

	if (fstat(fd, &st) != 0 || (f = fopen("/proc/self/maps", "re")) == NULL)
		return NULL;
	while (found == NULL && getline(&line, &cap, f) > 0) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, mnr;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &off, &maj, &mnr, &ino) ==
			6 &&
		    ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
		    mnr == minor(st.st_dev) && off == 0 && hi - lo == mapsize)
			found = (char *)(uintptr_t)lo;
	}
	free(line);
	fclose(f);
	return found;
}

/* With MDB_WRITEMAP, LMDB's first write to each new page of the (sparse)
 * file is a page fault in the middle of a turn: the kernel reads the hole
 * (a zeroed page), reserves the block and maps the page, one page at a
 * time; on a VM the first store to each newly mapped page also costs an
 * exit to the hypervisor (~5 us here, docs/journal.md). Instead, the bytes
 * beyond LMDB's last page, up to `ahead` of them, are written with zeros
 * (pwrite: page cache and block reservation in one call), mapped writable
 * (MADV_POPULATE_WRITE) and touched (one store of the zero already there
 * per page), while no transaction is open: no page above the last one is
 * reachable from a meta page, and LMDB writes there only inside a write
 * transaction. With a `step` (0: none), only when that much is missing,
 * and that much per call. A full disk
 * shows here, as ENOSPC from pwrite, before LMDB could fault on a page it
 * cannot write. */
static int reserve(struct journal *j, size_t ahead, size_t step, char *err)
{
	static const char zeros[64 * 1024];
	MDB_envinfo info;
	size_t end, want, off;
	int rc;

	if (j->j_fd < 0 || j->j_wtxn != NULL || (rc = mdb_env_info(j->j_env, &info)) != 0)
		return 0;
	end = pages_end(&info, j->j_psize);
	if (j->j_reserved < end)
		j->j_reserved = end; /* LMDB wrote these itself */
	want = info.me_mapsize - end < ahead ? info.me_mapsize : end + ahead;
	if (j->j_reserved >= want)
		return 0;
	if (step != 0) { /* a step at a time: fewer syscalls than a page per turn */
		if (want - j->j_reserved < step)
			return 0;
		want = j->j_reserved + step;
	}
	for (off = j->j_reserved; off < want;) {
		size_t n = want - off < sizeof(zeros) ? want - off : sizeof(zeros);
		ssize_t w = pwrite(j->j_fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			seterr(err, "journal: cannot extend %s beyond %zu bytes: %s", j->j_path, off,
			    strerror(e));
			return e == ENOSPC || e == EDQUOT || e == EFBIG ? RULES_EFULL : RULES_ESTORE;
		}
		off += (size_t)w;
	}
	if (j->j_map != NULL) {
#ifdef MADV_POPULATE_WRITE
		/* advice: a page it leaves out faults at the store below */
		(void)madvise(j->j_map + j->j_reserved, want - j->j_reserved, MADV_POPULATE_WRITE);
#endif
		for (off = j->j_reserved; off < want; off += j->j_psize)
			((volatile char *)j->j_map)[off] = 0;
	}
	j->j_reserved = want;
	return 0;
}

int journal_prepare(struct journal *j, char err[RULES_ERRLEN])
{
	return reserve(j, j->j_reserve, JOURNAL_PREPARE_STEP, err);
}

static int open_env(struct journal *j, const struct journal_config *cfg, char *err)
{
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
	size_t entries;
	MDB_envinfo info;
	MDB_txn *wtxn;
	MDB_stat ms;
	int rc, dead = 0;

	/* Without syncs, the map is written in place (MDB_WRITEMAP): a commit
	 * then writes nothing but its meta page into the shared mapping, instead
	 * of a pwrite of every dirty page; the page cache holds it either way,
	 * which is what survives a crash of riskgwd. */
	if (!cfg->jc_sync)
		flags |= MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP;
	if ((rc = mdb_env_create(&j->j_env)) != 0) {
		j->j_env = NULL;
		goto fail_mdb;
	}
	if ((rc = mdb_env_set_maxdbs(j->j_env, JDB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(j->j_env,
		 cfg->jc_mapsize ? cfg->jc_mapsize : JOURNAL_MAPSIZE_DEFAULT)) != 0)
		goto fail_mdb;
	if ((rc = mdb_env_open(j->j_env, j->j_path, flags, JOURNAL_FILE_MODE)) != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED) {
			seterr(err, "%s: corrupt: not a usable LMDB file (%s)", j->j_path,
			    mdb_strerror(rc));
			return RULES_ECORRUPT;
		}
		goto fail_mdb;
	}
	if ((rc = lock_file(j, err)) != 0)
		return rc;
	/* A process killed while it held a read transaction leaves its reader
	 * slot behind, and the pages of that snapshot can then never be reused:
	 * the map fills up. LMDB clears the lock table only when no process has
	 * the environment open; another one may (mdb_stat, a diagnostic tool). */
	if ((rc = mdb_reader_check(j->j_env, &dead)) != 0)
		goto fail_mdb;
	j->j_readers_cleared = dead > 0 ? (unsigned)dead : 0;
	/* A writer killed inside mdb_txn_commit(), after its meta page was
	 * written and before the lock table's last txnid was, leaves read
	 * snapshots one commit behind the file, until the next writer takes the
	 * (robust) write mutex and repairs the table. Take it now, so that
	 * verification and replay see that commit as the first write will. */
	if ((rc = mdb_txn_begin(j->j_env, NULL, 0, &wtxn)) != 0)
		goto fail_mdb;
	mdb_txn_abort(wtxn);
	if ((rc = check_size(j, err)) != 0)
		return rc;
	if ((rc = mdb_env_info(j->j_env, &info)) != 0 || (rc = mdb_env_stat(j->j_env, &ms)) != 0)
		goto fail_mdb;
	entries = ms.ms_entries;
	j->j_psize = ms.ms_psize;
	j->j_reserve = (cfg->jc_reserve + j->j_psize - 1) / j->j_psize * j->j_psize;
	if (!cfg->jc_sync && j->j_reserve > 0) {
		if ((rc = mdb_env_get_fd(j->j_env, &j->j_fd)) != 0)
			goto fail_mdb;
		j->j_map = find_map(j->j_fd, info.me_mapsize);
	}
	if (entries == 0 && info.me_last_txnid == 0) {
		if (!cfg->jc_create) {
			seterr(err, "%s: corrupt: LMDB file without a journal in it", j->j_path);
			return RULES_ECORRUPT;
		}
		if ((rc = initialise(j, err)) != 0)
			return rc;
	}
	if ((rc = verify(j, err)) != 0)
		return rc;
	if ((rc = mdb_txn_begin(j->j_env, NULL, MDB_RDONLY, &j->j_rtxn)) != 0) {
		j->j_rtxn = NULL;
		goto fail_mdb;
	}
	mdb_txn_reset(j->j_rtxn);
	return reserve(j, j->j_reserve > cfg->jc_prealloc ? j->j_reserve : cfg->jc_prealloc, 0, err);
fail_mdb:
	seterr(err, "%s: %s", j->j_path, mdb_strerror(rc));
	return rules_mdb_err(rc);
}

int journal_open(struct journal **out, const char *path, const struct journal_config *cfg,
    char err[RULES_ERRLEN])
{
	struct journal *j;
	struct stat sb;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0' || cfg == NULL) {
		seterr(err, "journal_open: bad arguments");
		return RULES_EINVAL;
	}
	if (stat(path, &sb) != 0) {
		rc = -errno;
		if (rc != -ENOENT || !cfg->jc_create) {
			seterr(err, "%s: %s", path, strerror(-rc));
			return rc;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		seterr(err, "%s: not a regular file", path);
		return RULES_EINVAL;
	} else if (sb.st_size == 0) {
		/* LMDB would quietly make a new journal of an empty file. */
		seterr(err, "%s: corrupt: empty file (0 bytes)", path);
		return RULES_ECORRUPT;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->j_path = strdup(path)) == NULL) {
		free(j);
		seterr(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	j->j_fd = -1;
	if ((rc = open_env(j, cfg, err)) != 0) {
		journal_close(j);
		return rc;
	}
	*out = j;
	return 0;
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->j_wtxn != NULL)
		mdb_txn_abort(j->j_wtxn);
	if (j->j_rtxn != NULL)
		mdb_txn_abort(j->j_rtxn);
	if (j->j_env != NULL)
		mdb_env_close(j->j_env); /* closes the fd: the flock goes with it */
	for (unsigned i = 0; i < j->j_npend; i++)
		free(j->j_pend[i].jp_buf);
	free(j->j_pend);
	free(j->j_path);
	free(j);
}

unsigned journal_readers_cleared(const struct journal *j)
{
	return j->j_readers_cleared;
}

/* ---- outbound messages gathered per session and turn ------------------------------ */

/* Empties the pending batch of session name (NULL: of every session) and
 * sets what is known of its top seq. */
static void pend_discard(struct journal *j, const char *name, uint64_t top)
{
	for (unsigned i = 0; i < j->j_npend; i++) {
		struct jpend *p = &j->j_pend[i];

		if (name != NULL && strcmp(p->jp_name, name) != 0)
			continue;
		p->jp_len = JOURNAL_MSGS_HDR;
		p->jp_count = 0;
		p->jp_top = top;
	}
}

/* The pending batch of session name, made on its first use (one allocation
 * per session for the life of the journal); NULL if out of memory. */
static struct jpend *pend_get(struct journal *j, const char *name)
{
	struct jpend *p, *v;

	for (unsigned i = 0; i < j->j_npend; i++)
		if (strcmp(j->j_pend[i].jp_name, name) == 0)
			return &j->j_pend[i];
	if ((v = realloc(j->j_pend, (j->j_npend + 1) * sizeof(*v))) == NULL)
		return NULL;
	j->j_pend = v;
	p = &v[j->j_npend];
	memset(p, 0, sizeof(*p));
	if ((p->jp_buf = malloc(JP_CAP)) == NULL)
		return NULL;
	j->j_npend++;
	snprintf(p->jp_name, sizeof(p->jp_name), "%s", name);
	p->jp_len = JOURNAL_MSGS_HDR;
	p->jp_top = JP_UNKNOWN;
	return p;
}

/* ---- turns -------------------------------------------------------------------------- */

/* The turn's write transaction, begun by the first write of the turn. */
static int turn_txn(struct journal *j, MDB_txn **txn, char *err)
{
	int rc;

	*txn = NULL; /* gcc -O2 cannot see that j_dead != 0 below */
	if (j->j_dead != 0) {
		seterr(err, "journal turn failed earlier (%s): commit or abort it",
		    rules_strerror(j->j_dead));
		return j->j_dead;
	}
	if (j->j_wtxn == NULL) {
		if ((rc = mdb_txn_begin(j->j_env, NULL, 0, &j->j_wtxn)) != 0) {
			j->j_wtxn = NULL;
			seterr(err, "journal: cannot begin a write transaction: %s",
			    mdb_strerror(rc));
			return rules_mdb_err(rc);
		}
	}
	*txn = j->j_wtxn;
	return 0;
}

/* An LMDB failure in the turn: LMDB refuses further use of the transaction,
 * so the whole turn is lost. Aborted now (the pages and the writer lock
 * are released); the turn stays dead until journal_commit/abort. */
static int turn_fail(struct journal *j, int rc, const char *what, char *err)
{
	int code = rules_mdb_err(rc);

	if (rc == MDB_MAP_FULL)
		seterr(err, "journal full (map size %zu bytes): %s, turn lost", map_size(j), what);
	else if (rc == MDB_TXN_FULL)
		seterr(err, "journal: too many changes in one turn: %s, turn lost", what);
	else if (rc == ENOSPC || rc == EDQUOT)
		seterr(err, "journal: disk full: %s, turn lost", what);
	else
		seterr(err, "journal: %s: %s, turn lost", what, mdb_strerror(rc));
	mdb_txn_abort(j->j_wtxn);
	j->j_wtxn = NULL;
	j->j_dead = code;
	j->j_last_ev = j->j_last_ev_done;
	j->j_last_kl = j->j_last_kl_done;
	pend_discard(j, NULL, JP_UNKNOWN);
	return code;
}

/* Writes session p's pending batch into the turn (one put). 0 or a turn
 * failure. */
static int pend_flush(struct journal *j, struct jpend *p, char *err)
{
	uint8_t key[JOURNAL_MSGKEY_LEN];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	if (p->jp_count == 0)
		return 0;
	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	k.mv_size = journal_rec_msg_key(key, p->jp_name, p->jp_first);
	k.mv_data = key;
	journal_rec_seal_msgs(p->jp_buf, p->jp_len, p->jp_count);
	v.mv_size = p->jp_len;
	v.mv_data = p->jp_buf;
	p->jp_len = JOURNAL_MSGS_HDR;
	p->jp_count = 0;
	/* Its first seq is above every stored one: never an existing key. */
	if ((rc = mdb_put(txn, j->j_dbi[JDB_MSGS], &k, &v, MDB_NOOVERWRITE)) != 0)
		return turn_fail(j, rc, "outbound messages", err);
	return 0;
}

static int pend_flush_all(struct journal *j, char *err)
{
	int rc;

	for (unsigned i = 0; i < j->j_npend; i++)
		if ((rc = pend_flush(j, &j->j_pend[i], err)) != 0)
			return rc;
	return 0;
}

/* Before a read of session name's messages inside a turn. */
static int pend_flush_name(struct journal *j, const char *name)
{
	for (unsigned i = 0; i < j->j_npend; i++)
		if (j->j_pend[i].jp_count > 0 && strcmp(j->j_pend[i].jp_name, name) == 0)
			return pend_flush(j, &j->j_pend[i], NULL);
	return 0;
}

int journal_commit(struct journal *j, char err[RULES_ERRLEN])
{
	int rc;

	if (j->j_dead == 0 && j->j_wtxn != NULL && (rc = pend_flush_all(j, err)) != 0) {
		/* turn_fail() said why; the turn is over */
		j->j_dead = 0;
		return rc;
	}
	if (j->j_dead != 0) {
		rc = j->j_dead;
		seterr(err, "journal turn failed earlier (%s): nothing committed",
		    rules_strerror(rc));
		j->j_dead = 0;
		return rc;
	}
	if (j->j_wtxn == NULL)
		return 0;
	/* mdb_txn_commit() frees the transaction whatever it returns. */
	rc = mdb_txn_commit(j->j_wtxn);
	j->j_wtxn = NULL;
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			seterr(err, "journal full (map size %zu bytes) at commit, nothing committed",
			    map_size(j));
		else if (rc == ENOSPC || rc == EDQUOT)
			seterr(err, "journal: disk full at commit, nothing committed");
		else
			seterr(err, "journal commit: %s, nothing committed", mdb_strerror(rc));
		j->j_last_ev = j->j_last_ev_done;
		j->j_last_kl = j->j_last_kl_done;
		pend_discard(j, NULL, JP_UNKNOWN); /* the tops counted the lost turn */
		return rules_mdb_err(rc);
	}
	j->j_last_ev_done = j->j_last_ev;
	j->j_last_kl_done = j->j_last_kl;
	return 0;
}

void journal_abort(struct journal *j)
{
	if (j->j_wtxn != NULL)
		mdb_txn_abort(j->j_wtxn);
	j->j_wtxn = NULL;
	j->j_dead = 0;
	j->j_last_ev = j->j_last_ev_done;
	j->j_last_kl = j->j_last_kl_done;
	pend_discard(j, NULL, JP_UNKNOWN);
}

bool journal_in_turn(const struct journal *j)
{
	return j->j_wtxn != NULL || j->j_dead != 0;
}

int journal_flush(struct journal *j)
{
	int rc = mdb_env_sync(j->j_env, 1);

	return rc == 0 ? 0 : rules_mdb_err(rc);
}

/* ---- reads ----------------------------------------------------------------------- */

/* The transaction a read uses: the turn's, else the renewed read snapshot. */
static int rd_begin(struct journal *j, MDB_txn **txn)
{
	*txn = NULL;
	if (j->j_wtxn != NULL) {
		*txn = j->j_wtxn;
		return 0;
	}
	if (j->j_rdepth == 0 && mdb_txn_renew(j->j_rtxn) != 0)
		return RULES_ESTORE;
	j->j_rdepth++;
	*txn = j->j_rtxn;
	return 0;
}

static void rd_end(struct journal *j, MDB_txn *txn)
{
	if (txn == j->j_rtxn && j->j_rdepth > 0 && --j->j_rdepth == 0)
		mdb_txn_reset(j->j_rtxn);
}

int journal_usage(struct journal *j, struct journal_usage *u, bool live)
{
	MDB_envinfo info;
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = mdb_env_info(j->j_env, &info)) != 0)
		return rules_mdb_err(rc);
	u->ju_used = pages_end(&info, j->j_psize);
	u->ju_map = info.me_mapsize;
	if (j->j_fd >= 0 && j->j_reserved > u->ju_used)
		u->ju_prepared = j->j_reserved - u->ju_used;
	if (!live)
		return 0;
	/* the pages of every database (the main one holds the names) and the
	 * two meta pages; the rest of ju_used is free pages LMDB will reuse */
	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	u->ju_live = 2 * (uint64_t)j->j_psize;
	for (int db = -1; db < JDB_COUNT && rc == 0; db++) {
		rc = rules_mdb_err(db < 0 ? mdb_env_stat(j->j_env, &ms) :
					    mdb_stat(txn, j->j_dbi[db], &ms));
		u->ju_live += (uint64_t)(ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages) *
		    j->j_psize;
	}
	rd_end(j, txn);
	return rc;
}

/* Looks key up in db; 0 (v set), RULES_ENOTFOUND, or an error. */
static int rd_get(struct journal *j, MDB_txn *txn, enum jdb db, const void *key, size_t klen,
    MDB_val *v)
{
	MDB_val k = {klen, (void *)key};

	return rules_mdb_err(mdb_get(txn, j->j_dbi[db], &k, v));
}

int journal_session_get(struct journal *j, const char *name, struct journal_session *out)
{
	const char *why;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if (!journal_name_valid(name))
		return RULES_ENOTFOUND;
	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = rd_get(j, txn, JDB_SESSIONS, name, strlen(name), &v)) == 0)
		rc = journal_rec_dec_session(v.mv_data, v.mv_size, out, &why);
	rd_end(j, txn);
	return rc;
}

/*
 * Puts cur on the record of session key[0..plen) (prefix: length byte and
 * name) that holds seq, or else on the session's first record above seq.
 * The record holding seq is the one with the greatest first seq <= seq.
 * 0 with *k, *v set, MDB_NOTFOUND (nothing at or after seq), or an LMDB code.
 */
static int msgs_seek(MDB_cursor *cur, const uint8_t *key, size_t plen, MDB_val *k, MDB_val *v)
{
	MDB_val want = {plen + 8, (void *)key};
	int rc, at;

	*k = want;
	at = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (at != 0 && at != MDB_NOTFOUND)
		return at;
	if (at == 0 && k->mv_size == want.mv_size && memcmp(k->mv_data, key, want.mv_size) == 0)
		return 0; /* a record starts at seq */
	rc = mdb_cursor_get(cur, k, v, at == 0 ? MDB_PREV : MDB_LAST);
	if (rc == 0 && k->mv_size == plen + 8 && memcmp(k->mv_data, key, plen) == 0)
		return 0; /* the session's last record before seq */
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (at == MDB_NOTFOUND)
		return MDB_NOTFOUND;
	*k = want;
	return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

/*
 * Opens a cursor on MSGS at session name's record that holds seq, or else
 * its last record below seq (msgs_seek), decoded into *it. Returns 0 with
 * *cur open on that record and *v its value, MDB_NOTFOUND if the session
 * has no such record, MDB_CORRUPTED or another LMDB code (*cur closed
 * unless 0).
 */
static int msgs_record_at(struct journal *j, MDB_txn *txn, const char *name, uint64_t seq,
    MDB_cursor **cur, MDB_val *v, struct journal_msgs_it *it)
{
	uint8_t key[JOURNAL_MSGKEY_LEN];
	size_t plen = 1 + strlen(name);
	const char *why;
	MDB_val k;
	int rc;

	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_MSGS], cur)) != 0)
		return rc;
	(void)journal_rec_msg_key(key, name, seq);
	rc = msgs_seek(*cur, key, plen, &k, v);
	if (rc == 0 && (k.mv_size != plen + 8 || memcmp(k.mv_data, key, plen) != 0))
		rc = MDB_NOTFOUND; /* another session's */
	if (rc == 0 && journal_rec_dec_msgs(v->mv_data, v->mv_size, it, &why) != 0)
		rc = MDB_CORRUPTED;
	if (rc != 0)
		mdb_cursor_close(*cur);
	return rc;
}

/* Walks session name's messages from <= seq <= to (to 0: no bound) in the
 * transaction txn. cb as journal_msg_range. */
static int msgs_walk(struct journal *j, MDB_txn *txn, const char *name, uint64_t from,
    uint64_t to, journal_msg_cb *cb, void *arg)
{
	uint8_t key[JOURNAL_MSGKEY_LEN];
	size_t plen = 1 + strlen(name); /* the session's key prefix */
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, ret = 0;

	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_MSGS], &cur)) != 0)
		return rules_mdb_err(rc);
	(void)journal_rec_msg_key(key, name, from);
	for (rc = msgs_seek(cur, key, plen, &k, &v); rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct journal_msgs_it it;
		const uint8_t *msg;
		uint64_t kseq, seq;
		const char *why;
		size_t len;

		if (k.mv_size != plen + 8 || memcmp(k.mv_data, key, plen) != 0)
			break; /* past the session's messages */
		if (journal_rec_msg_key_dec(k.mv_data, k.mv_size, name, &kseq, &why) != 0 ||
		    journal_rec_dec_msgs(v.mv_data, v.mv_size, &it, &why) != 0 ||
		    kseq != it.mi_first) {
			ret = RULES_ECORRUPT;
			break;
		}
		if (to != 0 && kseq > to)
			break;
		while (ret == 0 && journal_rec_msgs_next(&it, &seq, &msg, &len)) {
			if (seq < from)
				continue;
			if (to != 0 && seq > to)
				break;
			ret = cb(arg, seq, msg, len);
		}
	}
	mdb_cursor_close(cur);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rules_mdb_err(rc);
}

struct msg_copy {
	uint64_t mc_seq;
	void *mc_buf;
	size_t mc_cap;
	size_t *mc_len;
	bool mc_found;
};

static int copy_one(void *arg, uint64_t seq, const void *msg, size_t len)
{
	struct msg_copy *c = arg;

	if (seq != c->mc_seq)
		return 1; /* past it: not stored */
	c->mc_found = true;
	*c->mc_len = len;
	if (len > c->mc_cap)
		return RULES_ERANGE;
	memcpy(c->mc_buf, msg, len);
	return 1;
}

int journal_msg_get(struct journal *j, const char *name, uint64_t seq, void *buf, size_t cap,
    size_t *len)
{
	struct msg_copy c = {seq, buf, cap, len, false};
	MDB_txn *txn;
	int rc;

	if (!journal_name_valid(name) || seq == 0)
		return RULES_ENOTFOUND;
	if ((rc = pend_flush_name(j, name)) != 0)
		return rc;
	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	rc = msgs_walk(j, txn, name, seq, seq, copy_one, &c);
	rd_end(j, txn);
	if (rc == 1 || rc == 0)
		return c.mc_found ? 0 : RULES_ENOTFOUND;
	return rc;
}

int journal_msg_range(struct journal *j, const char *name, uint64_t from, uint64_t to,
    journal_msg_cb *cb, void *arg)
{
	MDB_txn *txn;
	int rc;

	if (!journal_name_valid(name) || from == 0 || (to != 0 && to < from))
		return RULES_EINVAL;
	if ((rc = pend_flush_name(j, name)) != 0)
		return rc;
	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	rc = msgs_walk(j, txn, name, from, to, cb, arg);
	rd_end(j, txn);
	return rc;
}

uint64_t journal_last_event(const struct journal *j)
{
	return j->j_last_ev;
}

int journal_replay(struct journal *j, journal_event_cb *cb, void *arg)
{
	struct journal_event ev;
	uint64_t next = 1;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, ret = 0;

	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_EVENTS], &cur)) != 0) {
		rd_end(j, txn);
		return rules_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *why;
		uint64_t seq;

		if (rules_rec_seq_key_dec(k.mv_data, k.mv_size, &seq, &why) != 0 ||
		    journal_rec_dec_event(v.mv_data, v.mv_size, &ev, &why) != 0 ||
		    ev.ev_seq != seq || seq != next) {
			ret = RULES_ECORRUPT;
			break;
		}
		next++;
		if ((ret = cb(arg, &ev)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	rd_end(j, txn);
	if (ret != 0)
		return ret;
	return rc == MDB_NOTFOUND ? 0 : rules_mdb_err(rc);
}

int journal_day(struct journal *j, uint32_t *day)
{
	const char *why;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = rd_get(j, txn, JDB_META, META_DAY, strlen(META_DAY), &v)) == 0)
		rc = rules_rec_dec_u32(v.mv_data, v.mv_size, day, &why);
	rd_end(j, txn);
	return rc;
}

int journal_kill_get(struct journal *j, struct journal_kill *out)
{
	const char *why;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = rd_get(j, txn, JDB_KILL, KILL_KEY, strlen(KILL_KEY), &v)) == 0)
		rc = journal_rec_dec_kill(v.mv_data, v.mv_size, out, &why);
	rd_end(j, txn);
	return rc;
}

/* ---- writes -------------------------------------------------------------------------- */

/* Puts key -> val[0..vlen) into db in the turn. */
static int wr_put(struct journal *j, enum jdb db, const void *key, size_t klen, const void *val,
    size_t vlen, unsigned flags, const char *what, char *err)
{
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	MDB_txn *txn;
	int rc;

	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	if ((rc = mdb_put(txn, j->j_dbi[db], &k, &v, flags)) != 0)
		return turn_fail(j, rc, what, err);
	return 0;
}

int journal_session_put(struct journal *j, const char *name, const struct journal_session *s,
    char err[RULES_ERRLEN])
{
	uint8_t buf[JOURNAL_REC_BUFLEN];
	int rc;

	if ((rc = journal_session_validate(name, s, err)) != 0)
		return rc;
	return wr_put(j, JDB_SESSIONS, name, strlen(name), buf, journal_rec_enc_session(buf, s), 0,
	    "session", err);
}

/* The highest seq stored for session name in txn (0: none). */
static int msgs_top(struct journal *j, MDB_txn *txn, const char *name, uint64_t *top)
{
	struct journal_msgs_it it;
	MDB_cursor *cur;
	MDB_val v;
	int rc;

	*top = 0;
	rc = msgs_record_at(j, txn, name, UINT64_MAX, &cur, &v, &it);
	if (rc == 0) {
		*top = it.mi_last;
		mdb_cursor_close(cur);
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Puts one MSGS record of one message. */
static int put_single(struct journal *j, MDB_txn *txn, const char *name, uint64_t seq,
    const void *msg, size_t len)
{
	uint8_t key[JOURNAL_MSGKEY_LEN];
	MDB_val k = {journal_rec_msg_key(key, name, seq), key};
	MDB_val v = {JOURNAL_MSGS_HDR + JOURNAL_MSGS_ENTRY + len, NULL};
	uint8_t *p;
	int rc;

	/* MDB_RESERVE: the message is copied once, straight into the map. */
	if ((rc = mdb_put(txn, j->j_dbi[JDB_MSGS], &k, &v, MDB_RESERVE)) != 0)
		return rc;
	p = v.mv_data;
	journal_rec_msgs_entry(p + JOURNAL_MSGS_HDR, seq, len);
	memcpy(p + JOURNAL_MSGS_HDR + JOURNAL_MSGS_ENTRY, msg, len);
	journal_rec_seal_msgs(p, v.mv_size, 1);
	return 0;
}

/* Appends the entries of it with seq in [lo, hi] to b (a MSGS value being
 * built); returns how many. */
static uint32_t copy_entries(struct journal_msgs_it it, uint64_t lo, uint64_t hi, uint8_t *b,
    size_t *blen, uint64_t *first)
{
	const uint8_t *msg;
	uint32_t n = 0;
	uint64_t seq;
	size_t len;

	while (journal_rec_msgs_next(&it, &seq, &msg, &len)) {
		if (seq < lo || seq > hi)
			continue;
		if (n++ == 0)
			*first = seq;
		*blen += journal_rec_msgs_entry(b + *blen, seq, len);
		memcpy(b + *blen, msg, len);
		*blen += len;
	}
	return n;
}

/*
 * Stores seq, at or below the session's top, in place of what is stored
 * there (the rare path: the session went back without a reset). The record
 * whose range holds seq is split around it, so that one session's records
 * keep increasing, non-overlapping seqs.
 */
static int msg_replace(struct journal *j, MDB_txn *txn, const char *name, uint64_t seq,
    const void *msg, size_t len)
{
	uint8_t key[JOURNAL_MSGKEY_LEN], *copy = NULL;
	struct journal_msgs_it it;
	MDB_cursor *cur;
	const char *why;
	MDB_val k, v;
	int rc;

	rc = msgs_record_at(j, txn, name, seq, &cur, &v, &it);
	if (rc == 0) {
		if (it.mi_first <= seq && seq <= it.mi_last) {
			/* copied out: the record goes, its pages with it */
			if ((copy = malloc(v.mv_size)) == NULL) {
				rc = ENOMEM;
			} else {
				memcpy(copy, v.mv_data, v.mv_size);
				(void)journal_rec_dec_msgs(copy, v.mv_size, &it, &why);
				rc = mdb_cursor_del(cur, 0);
			}
		} else {
			rc = MDB_NOTFOUND; /* seq is in no record's range */
		}
		mdb_cursor_close(cur);
	}
	if (rc == 0) {
		/* the entries below seq, then those above it, each as a record */
		uint8_t *b = malloc(JOURNAL_MSGS_HDR + (it.mi_end - it.mi_p) + 4);
		uint64_t bounds[2][2] = {{0, seq - 1}, {seq + 1, UINT64_MAX}};

		for (int part = 0; rc == 0 && part < 2 && b != NULL; part++) {
			size_t blen = JOURNAL_MSGS_HDR;
			uint64_t first = 0;
			uint32_t n = copy_entries(it, bounds[part][0], bounds[part][1], b, &blen,
			    &first);

			if (n == 0)
				continue;
			journal_rec_seal_msgs(b, blen, n);
			k.mv_size = journal_rec_msg_key(key, name, first);
			k.mv_data = key;
			v.mv_size = blen;
			v.mv_data = b;
			rc = mdb_put(txn, j->j_dbi[JDB_MSGS], &k, &v, 0);
		}
		if (b == NULL)
			rc = ENOMEM;
		free(b);
	} else if (rc == MDB_NOTFOUND) {
		rc = 0;
	}
	free(copy);
	if (rc != 0)
		return rc;
	return put_single(j, txn, name, seq, msg, len);
}

int journal_msg_put(struct journal *j, const char *name, uint64_t seq, const void *msg,
    size_t len, char err[RULES_ERRLEN])
{
	struct jpend *p;
	MDB_txn *txn;
	uint8_t *e;
	int rc;

	if (!journal_name_valid(name) || seq == 0 || msg == NULL || len == 0 ||
	    len > JOURNAL_MSG_MAX) {
		seterr(err, "journal_msg_put: bad session name, seq 0, or length %zu not in 1..%u",
		    len, JOURNAL_MSG_MAX);
		return RULES_EINVAL;
	}
	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	if ((p = pend_get(j, name)) == NULL) {
		seterr(err, "journal_msg_put: out of memory");
		return -ENOMEM;
	}
	if (p->jp_top == JP_UNKNOWN && (rc = msgs_top(j, txn, name, &p->jp_top)) != 0)
		return turn_fail(j, rc, "outbound message", err);
	if (seq <= p->jp_top) {
		if ((rc = pend_flush(j, p, err)) != 0)
			return rc;
		if ((rc = msg_replace(j, txn, name, seq, msg, len)) != 0)
			return turn_fail(j, rc, "outbound message", err);
		return 0;
	}
	if (JOURNAL_MSGS_ENTRY + len > JP_CAP - JOURNAL_MSGS_HDR) {
		/* too big to gather: a record of its own */
		if ((rc = pend_flush(j, p, err)) != 0)
			return rc;
		if ((rc = put_single(j, txn, name, seq, msg, len)) != 0)
			return turn_fail(j, rc, "outbound message", err);
		p->jp_top = seq;
		return 0;
	}
	if (p->jp_len + JOURNAL_MSGS_ENTRY + len > JP_CAP && (rc = pend_flush(j, p, err)) != 0)
		return rc;
	if (p->jp_count++ == 0)
		p->jp_first = seq;
	e = p->jp_buf + p->jp_len;
	journal_rec_msgs_entry(e, seq, len);
	memcpy(e + JOURNAL_MSGS_ENTRY, msg, len);
	p->jp_len += JOURNAL_MSGS_ENTRY + len;
	p->jp_top = seq;
	return 0;
}

/* Deletes every message of the session under the cursor's transaction. */
static int drop_msgs(struct journal *j, MDB_txn *txn, const char *name)
{
	uint8_t key[JOURNAL_MSGKEY_LEN];
	size_t plen = 1 + strlen(name);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_MSGS], &cur)) != 0)
		return rc;
	(void)journal_rec_msg_key(key, name, 0);
	/* Seek the session's first message again after each delete rather than
	 * trust where mdb_cursor_del() leaves the cursor. */
	for (;;) {
		k.mv_size = plen + 8;
		k.mv_data = key;
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
			break;
		if (k.mv_size != plen + 8 || memcmp(k.mv_data, key, plen) != 0)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int journal_msg_drop(struct journal *j, const char *name, char err[RULES_ERRLEN])
{
	MDB_txn *txn;
	int rc;

	if (!journal_name_valid(name)) {
		seterr(err, "journal_msg_drop: bad session name");
		return RULES_EINVAL;
	}
	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	pend_discard(j, name, 0);
	if ((rc = drop_msgs(j, txn, name)) != 0)
		return turn_fail(j, rc, "drop messages", err);
	return 0;
}

int journal_append(struct journal *j, struct journal_event *ev, char err[RULES_ERRLEN])
{
	uint8_t buf[JOURNAL_REC_BUFLEN], key[8];
	uint64_t seq = j->j_last_ev + 1;
	int rc;

	if ((rc = journal_ev_validate(ev, err)) != 0)
		return rc;
	ev->ev_seq = seq;
	rules_rec_seq_key(key, seq);
	/* MDB_APPEND: numbers only grow, so LMDB skips the search and fills
	 * pages completely. */
	rc = wr_put(j, JDB_EVENTS, key, sizeof(key), buf, journal_rec_enc_event(buf, ev),
	    MDB_APPEND, "event", err);
	if (rc != 0) {
		ev->ev_seq = 0;
		return rc;
	}
	j->j_last_ev = seq;
	return 0;
}

int journal_kill_put(struct journal *j, const struct journal_kill *kr, char err[RULES_ERRLEN])
{
	uint8_t buf[JOURNAL_REC_BUFLEN];
	int rc;

	if ((rc = journal_kill_validate(kr, err)) != 0)
		return rc;
	return wr_put(j, JDB_KILL, KILL_KEY, strlen(KILL_KEY), buf, journal_rec_enc_kill(buf, kr),
	    0, "kill state", err);
}

static size_t scope_key(char key[sizeof(SCOPE_PREFIX) + JOURNAL_SCOPE_MAX], const char *scope)
{
	return (size_t)snprintf(key, sizeof(SCOPE_PREFIX) + JOURNAL_SCOPE_MAX, "%s%s", SCOPE_PREFIX,
	    scope);
}

int journal_kill_scope_put(struct journal *j, const char *scope, const struct journal_kill *kr,
    char err[RULES_ERRLEN])
{
	char key[sizeof(SCOPE_PREFIX) + JOURNAL_SCOPE_MAX];
	uint8_t buf[JOURNAL_REC_BUFLEN];
	MDB_val k;
	MDB_txn *txn;
	size_t klen;
	int rc;

	if (!journal_scope_valid(scope)) {
		seterr(err, "kill scope '%.80s': route:NAME, account:ID or symbol:ID", scope);
		return RULES_EINVAL;
	}
	if ((rc = journal_kill_validate(kr, err)) != 0)
		return rc;
	klen = scope_key(key, scope);
	if (kr->jk_state == JOURNAL_KILL_TRIPPED)
		return wr_put(j, JDB_KILL, key, klen, buf, journal_rec_enc_kill(buf, kr), 0,
		    "kill scope", err);
	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	k.mv_size = klen;
	k.mv_data = key;
	rc = mdb_del(txn, j->j_dbi[JDB_KILL], &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return turn_fail(j, rc, "kill scope", err);
	return 0;
}

int journal_kill_scope_foreach(struct journal *j, journal_kill_cb *cb, void *arg)
{
	size_t pl = strlen(SCOPE_PREFIX);
	MDB_val k = {pl, (void *)SCOPE_PREFIX}, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc, ret = 0;

	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_KILL], &cur)) != 0) {
		rd_end(j, txn);
		return rules_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char scope[JOURNAL_SCOPE_MAX + 1];
		struct journal_kill kr;
		const char *why;

		if (k.mv_size <= pl || memcmp(k.mv_data, SCOPE_PREFIX, pl) != 0)
			break;
		if (k.mv_size - pl > JOURNAL_SCOPE_MAX) {
			ret = RULES_ECORRUPT;
			break;
		}
		memcpy(scope, (const char *)k.mv_data + pl, k.mv_size - pl);
		scope[k.mv_size - pl] = '\0';
		if (!journal_scope_valid(scope) ||
		    journal_rec_dec_kill(v.mv_data, v.mv_size, &kr, &why) != 0) {
			ret = RULES_ECORRUPT;
			break;
		}
		if ((ret = cb(arg, scope, &kr)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	rd_end(j, txn);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rules_mdb_err(rc);
}

static void log_key(uint8_t key[LOG_KEY_LEN], uint64_t seq)
{
	memcpy(key, LOG_PREFIX, LOG_KEY_LEN - 8);
	rules_rec_seq_key(key + LOG_KEY_LEN - 8, seq);
}

int journal_kill_log_append(struct journal *j, struct journal_kill_log *l, char err[RULES_ERRLEN])
{
	uint8_t key[LOG_KEY_LEN], buf[JOURNAL_REC_BUFLEN];
	uint64_t seq = j->j_last_kl + 1;
	int rc;

	if ((rc = journal_kill_log_validate(l, err)) != 0)
		return rc;
	l->kl_seq = seq;
	log_key(key, seq);
	rc = wr_put(j, JDB_KILL, key, sizeof(key), buf, journal_rec_enc_kill_log(buf, l), 0,
	    "kill log", err);
	if (rc != 0) {
		l->kl_seq = 0;
		return rc;
	}
	j->j_last_kl = seq;
	return 0;
}

int journal_kill_log_range(struct journal *j, uint64_t from, journal_kill_log_cb *cb, void *arg)
{
	uint8_t key[LOG_KEY_LEN];
	MDB_val k = {sizeof(key), key}, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc, ret = 0;

	log_key(key, from == 0 ? 1 : from);
	if ((rc = rd_begin(j, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_KILL], &cur)) != 0) {
		rd_end(j, txn);
		return rules_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct journal_kill_log l;
		const char *why;

		if (k.mv_size != LOG_KEY_LEN || memcmp(k.mv_data, LOG_PREFIX, LOG_KEY_LEN - 8) != 0)
			break;
		if (journal_rec_dec_kill_log(v.mv_data, v.mv_size, &l, &why) != 0) {
			ret = RULES_ECORRUPT;
			break;
		}
		if ((ret = cb(arg, &l)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	rd_end(j, txn);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rules_mdb_err(rc);
}

uint64_t journal_kill_log_last(const struct journal *j)
{
	return j->j_last_kl;
}

/* Sets every session to next_in = next_out = 1 on day. */
static int reset_sessions(struct journal *j, MDB_txn *txn, uint32_t day, const char **why)
{
	struct journal_session s = {1, 1, day};
	uint8_t buf[JOURNAL_REC_BUFLEN];
	MDB_val k, v, nv;
	MDB_cursor *cur;
	int rc;

	*why = NULL;
	nv.mv_data = buf;
	nv.mv_size = journal_rec_enc_session(buf, &s);
	if ((rc = mdb_cursor_open(txn, j->j_dbi[JDB_SESSIONS], &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[JOURNAL_NAME_MAX + 1];

		if (!key_name(&k, name)) {
			*why = "bad session name key";
			rc = MDB_CORRUPTED;
			break;
		}
		if ((rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int journal_new_day(struct journal *j, uint32_t day, char err[RULES_ERRLEN])
{
	uint8_t buf[RULES_REC_BUFLEN];
	MDB_val k = {strlen(META_DAY), (void *)META_DAY}, v;
	const char *why = NULL;
	MDB_txn *txn;
	int rc;

	if (!journal_day_valid(day)) {
		seterr(err, "journal_new_day: %u is not a YYYYMMDD day", (unsigned)day);
		return RULES_EINVAL;
	}
	if ((rc = turn_txn(j, &txn, err)) != 0)
		return rc;
	if ((rc = mdb_drop(txn, j->j_dbi[JDB_EVENTS], 0)) != 0)
		return turn_fail(j, rc, "new day: clear events", err);
	pend_discard(j, NULL, 0);
	if ((rc = mdb_drop(txn, j->j_dbi[JDB_MSGS], 0)) != 0)
		return turn_fail(j, rc, "new day: clear messages", err);
	if ((rc = reset_sessions(j, txn, day, &why)) != 0)
		return turn_fail(j, rc, why != NULL ? why : "new day: reset sessions", err);
	v.mv_data = buf;
	v.mv_size = rules_rec_enc_u32(buf, day);
	if ((rc = mdb_put(txn, j->j_dbi[JDB_META], &k, &v, 0)) != 0)
		return turn_fail(j, rc, "new day: trading_day", err);
	j->j_last_ev = 0;
	return 0;
}
