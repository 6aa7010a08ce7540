/*
 * Tests of group commit (commit.c): many writers share commits, each gets
 * its own result (a reused nonce fails alone), readers run during writes
 * and map growth, and the one-commit-per-write mode behaves the same.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "ks_test.h"
#include "keystore-int.h"

#define WRITERS 16
#define PER_WRITER 40

struct writer {
	struct keystore *ks;
	int id;
	int failures;
	int reused;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct keystore_audit_record r;
	uint8_t nonce[KEYSTORE_NONCE_SIZE], value[600];
	char name[32];
	int i, rc;

	memset(&r, 0, sizeof(r));
	r.event = "attest";
	for (i = 0; i < PER_WRITER; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		memset(value, w->id * 64 + i, sizeof(value));
		if (keystore_secret_put(w->ks, name, value, sizeof(value), NULL, &ks_actor, NULL) !=
		    0)
			w->failures++;
		if (keystore_audit_append(w->ks, &r, NULL) != 0)
			w->failures++;
		/* Every writer consumes the shared nonce i: exactly one wins per i. */
		memset(nonce, 0, sizeof(nonce));
		nonce[0] = (uint8_t)i;
		rc = keystore_attest_commit(w->ks, nonce, 1000, &ks_attest_rec, NULL);
		if (rc == KBS_ERR_STORE_NONCE_REUSED)
			w->reused++;
		else if (rc != 0)
			w->failures++;
	}
	return NULL;
}

struct reader {
	struct keystore *ks;
	int *stop; /* read and written with __atomic builtins */
	int errors;
	long reads;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct keystore_secret *s = NULL;
	int rc;

	while (!__atomic_load_n(rd->stop, __ATOMIC_ACQUIRE)) {
		rc = keystore_secret_get(rd->ks, "w0-0", &s);
		if (rc == 0) {
			if (s->value_len != 600 || s->value[599] != 0)
				rd->errors++;
			keystore_secret_free(s);
			s = NULL;
		} else if (rc != KBS_ERR_NOT_FOUND) {
			rd->errors++;
		}
		rd->reads++;
		/* Read steadily without starving the writers of the two CPUs. */
		usleep(200);
	}
	return NULL;
}

/* The on_commit hook's view: every committed transaction and the writes it carried. */
struct commit_counts {
	uint64_t calls;
	uint64_t writes;
	uint64_t zero; /* calls with no write: must stay 0 */
};

static void
count_commit(void *ctx, size_t writes)
{
	struct commit_counts *c = ctx;

	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->writes, writes, __ATOMIC_RELAXED);
	if (writes == 0)
		__atomic_add_fetch(&c->zero, 1, __ATOMIC_RELAXED);
}

static void
run_writers(unsigned flags, size_t initial_map)
{
	struct ks_fixture f;
	struct commit_counts cc = { 0, 0, 0 };
	struct keystore_options opts = { initial_map, 0, flags, count_commit, &cc };
	uint64_t calls0, writes0, batches0;
	struct keystore *ks;
	pthread_t th[WRITERS], rth[2];
	struct writer w[WRITERS];
	struct reader rd[2];
	int stop = 0;
	struct keystore_secret *s = NULL;
	uint64_t count = 0, batches;
	int i, failures = 0, reused = 0;

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, &opts);
	calls0 = __atomic_load_n(&cc.calls, __ATOMIC_RELAXED);
	writes0 = __atomic_load_n(&cc.writes, __ATOMIC_RELAXED);
	batches0 = keystore_test_batches(ks);
	for (i = 0; i < 2; i++) {
		rd[i].ks = ks;
		rd[i].stop = &stop;
		rd[i].errors = 0;
		rd[i].reads = 0;
		CHECK(pthread_create(&rth[i], NULL, reader_main, &rd[i]) == 0);
	}
	for (i = 0; i < WRITERS; i++) {
		w[i].ks = ks;
		w[i].id = i;
		w[i].failures = 0;
		w[i].reused = 0;
		CHECK(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0);
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
		reused += w[i].reused;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		pthread_join(rth[i], NULL);
		CHECK_INT_EQ(rd[i].errors, 0);
		CHECK(rd[i].reads > 0);
	}
	CHECK_INT_EQ(failures, 0);
	CHECK_INT_EQ(reused, (WRITERS - 1) * PER_WRITER);
	batches = keystore_test_batches(ks);
	printf("# flags %u map %zu: %d writes in %llu commits, map now %zu, %ld reads\n", flags,
	    initial_map, WRITERS * PER_WRITER * 3, (unsigned long long)batches,
	    keystore_map_size(ks), rd[0].reads + rd[1].reads);
	if (flags & KEYSTORE_NO_GROUP_COMMIT)
		CHECK_UINT_EQ(batches, WRITERS * PER_WRITER * 3);
	else
		CHECK(batches < WRITERS * PER_WRITER * 3);
	/* The hook saw every batch, and every write of the writers exactly once. */
	CHECK_UINT_EQ(__atomic_load_n(&cc.calls, __ATOMIC_RELAXED) - calls0, batches - batches0);
	CHECK_UINT_EQ(
	    __atomic_load_n(&cc.writes, __ATOMIC_RELAXED) - writes0, WRITERS * PER_WRITER * 3);
	CHECK_UINT_EQ(cc.zero, 0);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	/* Each writer's appends, its puts' records, and the decisions of the nonces it won. */
	CHECK_UINT_EQ(count, WRITERS * PER_WRITER * 2 + PER_WRITER);
	keystore_close(ks);
	/* Everything acknowledged is there after reopening. */
	ks = ks_open_default(&f, NULL);
	for (i = 0; i < WRITERS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%d-%d", i, PER_WRITER - 1);
		CHECK_OK(keystore_secret_get(ks, name, &s));
		CHECK(s != NULL && s->value[0] == (uint8_t)(i * 64 + PER_WRITER - 1));
		keystore_secret_free(s);
		s = NULL;
	}
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_group_commit(void)
{
	run_writers(0, 0);
}

static void
test_group_commit_growing_map(void)
{
	/* 32 KiB to start: the map doubles several times under concurrent load. */
	run_writers(0, 32 << 10);
}

static void
test_one_commit_per_write(void)
{
	run_writers(KEYSTORE_NO_GROUP_COMMIT | KEYSTORE_NO_SYNC, 32 << 10);
}

/* A test operation: write key -> "v" into the cert table, then return result. */
struct raw_op {
	const char *key;
	int result;
	bool write_first;
};

static int
raw_op_fn(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct raw_op *a = arg;
	MDB_val k = { strlen(a->key), (void *)(uintptr_t)a->key };
	uint8_t rec[32];
	struct ks_w w = { rec, sizeof(rec), 0 };
	struct ks_cert_rec c = { 7, (const uint8_t *)"v", 1 };
	MDB_val v;
	int rc;

	if (a->result != 0 && !a->write_first)
		return a->result;
	ks_cert_rec_encode(&w, &c);
	v.mv_size = w.len;
	v.mv_data = rec;
	if ((rc = mdb_put(txn, ks->dbi_certs, &k, &v, 0)) != 0)
		return ks_mdb_err(rc);
	return a->result;
}

/*
 * Each operation of a batch gets its own result: a refusal (made before
 * writing) and a failure after writing (which reruns the batch nested)
 * leave no trace, and the others' writes commit.
 */
static void
test_batch_results_are_separate(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct raw_op a[5] = {
		{ "ok-1", 0, false },
		{ "refused", KBS_ERR_STORE_NONCE_REUSED, false },
		{ "failed-after-write", KBS_ERR_IO, true },
		{ "ok-2", 0, false },
		{ "corrupt-after-write", KBS_ERR_STORE_CORRUPT, true },
	};
	/*
	 * What ks_audit_add does when the log holds a record past the head:
	 * the change is written, its record is not. Alone with a good write
	 * (no other failure to make the batch nest), it must still fail alone.
	 */
	struct raw_op b[2] = {
		{ "ok-3", 0, false },
		{ "chain-after-write", KBS_ERR_STORE_AUDIT_CHAIN, true },
	};
	struct ks_op ops[5];
	uint8_t *data = NULL;
	size_t len = 0, i;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 5; i++) {
		ops[i].fn = raw_op_fn;
		ops[i].arg = &a[i];
	}
	keystore_test_run_batch(ks, ops, 5);
	CHECK_OK(ops[0].result);
	CHECK_ERR(ops[1].result, KBS_ERR_STORE_NONCE_REUSED);
	CHECK_ERR(ops[2].result, KBS_ERR_IO);
	CHECK_OK(ops[3].result);
	CHECK_ERR(ops[4].result, KBS_ERR_STORE_CORRUPT);
	keystore_close(ks);
	ks = ks_open_default(&f, NULL);
	for (i = 0; i < 5; i++) {
		int r = keystore_cert_get(ks, a[i].key, &data, &len, NULL);

		CHECK_ERR(r, a[i].result == 0 ? 0 : KBS_ERR_NOT_FOUND);
		free(data);
		data = NULL;
	}
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 2; i++) {
		ops[i].fn = raw_op_fn;
		ops[i].arg = &b[i];
	}
	keystore_test_run_batch(ks, ops, 2);
	CHECK_OK(ops[0].result);
	CHECK_ERR(ops[1].result, KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_OK(keystore_cert_get(ks, "ok-3", &data, &len, NULL));
	free(data);
	data = NULL;
	CHECK_ERR(keystore_cert_get(ks, "chain-after-write", &data, &len, NULL), KBS_ERR_NOT_FOUND);
	/* A batch of one that fails after writing commits nothing either. */
	a[2].key = "alone";
	ops[2].fn = raw_op_fn;
	ops[2].arg = &a[2];
	keystore_test_run_batch(ks, &ops[2], 1);
	CHECK_ERR(ops[2].result, KBS_ERR_IO);
	CHECK_ERR(keystore_cert_get(ks, "alone", &data, &len, NULL), KBS_ERR_NOT_FOUND);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* A test operation that writes len bytes under key into the cert table. */
struct big_op {
	const char *key;
	size_t len;
};

static int
big_op_fn(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct big_op *a = arg;
	MDB_val k = { strlen(a->key), (void *)(uintptr_t)a->key }, v = { a->len, NULL };
	int rc;

	if ((rc = mdb_put(txn, ks->dbi_certs, &k, &v, MDB_RESERVE)) != 0)
		return ks_mdb_err(rc);
	memset(v.mv_data, 0x5c, v.mv_size);
	return 0;
}

/* raw_len is the stored length under key in the cert table, 0 if absent. */
static size_t
raw_len(struct keystore *ks, const char *key)
{
	MDB_txn *txn = NULL;
	MDB_val k = { strlen(key), (void *)(uintptr_t)key }, v = { 0, NULL };
	size_t n = 0;

	if (ks_read_begin(ks, &txn) != 0)
		return 0;
	if (mdb_get(txn, ks->dbi_certs, &k, &v) == 0)
		n = v.mv_size;
	ks_read_end(ks, txn);
	return n;
}

/* The threads the on_commit hook ran on, and the batch sizes, in order. */
struct commit_threads {
	pthread_mutex_t mu;
	pthread_t thread[4];
	size_t writes[4];
	int n;
};

static void
note_commit(void *ctx, size_t writes)
{
	struct commit_threads *c = ctx;

	pthread_mutex_lock(&c->mu);
	if (c->n < 4) {
		c->thread[c->n] = pthread_self();
		c->writes[c->n] = writes;
	}
	c->n++;
	pthread_mutex_unlock(&c->mu);
}

static int
hook_calls(struct commit_threads *c)
{
	int n;

	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ct_index: the last hook call made on thread t (c->mu held), -1 if none. */
static int
ct_index(const struct commit_threads *c, pthread_t t)
{
	int i;

	for (i = (c->n < 4 ? c->n : 4) - 1; i >= 0; i--)
		if (pthread_equal(c->thread[i], t))
			return i;
	return -1;
}

/* An operation that holds its batch open until the test lets it go. */
struct held_op {
	struct raw_op raw;
	int entered, release; /* __atomic */
};

static int
held_op_fn(struct keystore *ks, MDB_txn *txn, void *arg)
{
	struct held_op *h = arg;

	__atomic_store_n(&h->entered, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		usleep(1000);
	return raw_op_fn(ks, txn, &h->raw);
}

struct raw_writer {
	struct keystore *ks;
	ks_op_fn fn;
	void *arg;
	int rc;
	pthread_t self;
};

static void *
raw_writer_main(void *arg)
{
	struct raw_writer *w = arg;

	w->self = pthread_self();
	w->rc = ks_write(w->ks, w->fn, w->arg);
	return NULL;
}

static int
queued_ops(struct keystore *ks)
{
	struct ks_op *op;
	int n = 0;

	pthread_mutex_lock(&ks->q_mu);
	for (op = ks->q_head; op != NULL; op = op->next)
		n++;
	pthread_mutex_unlock(&ks->q_mu);
	return n;
}

/*
 * A writer that meets no batch running commits on its own thread (no
 * hand-off to the committer and back); writers that arrive while it
 * commits queue, and the committer takes them together once it is done.
 */
static void
test_lone_writer_commits_on_its_thread(void)
{
	struct ks_fixture f;
	struct commit_threads ct = { PTHREAD_MUTEX_INITIALIZER, { 0 }, { 0 }, 0 };
	struct keystore_options opts = { 0, 0, 0, note_commit, &ct };
	struct keystore *ks;
	struct held_op held = { { "held", 0, false }, 0, 0 };
	struct raw_op a = { "a", 0, false }, b = { "b", 0, false }, lone = { "lone", 0, false };
	struct raw_writer w[3] = { { NULL, held_op_fn, &held, -1, 0 },
		{ NULL, raw_op_fn, &a, -1, 0 }, { NULL, raw_op_fn, &b, -1, 0 } };
	pthread_t th[3];
	uint64_t batches0;
	int i, waited;

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, &opts);
	batches0 = keystore_test_batches(ks);

	/* Alone: the hook runs on the writing thread, one batch of one. */
	CHECK_OK(ks_write(ks, raw_op_fn, &lone));
	CHECK_INT_EQ(ct.n, 1);
	CHECK(pthread_equal(ct.thread[0], pthread_self()));
	CHECK_UINT_EQ(ct.writes[0], 1);
	CHECK_UINT_EQ(keystore_test_batches(ks) - batches0, 1);

	/* One writer holds its inline batch open; two more queue behind it. */
	for (i = 0; i < 3; i++)
		w[i].ks = ks;
	CHECK(pthread_create(&th[0], NULL, raw_writer_main, &w[0]) == 0);
	for (waited = 0; !__atomic_load_n(&held.entered, __ATOMIC_ACQUIRE) && waited < 10000;
	     waited++)
		usleep(1000);
	CHECK(__atomic_load_n(&held.entered, __ATOMIC_ACQUIRE));
	CHECK(pthread_create(&th[1], NULL, raw_writer_main, &w[1]) == 0);
	CHECK(pthread_create(&th[2], NULL, raw_writer_main, &w[2]) == 0);
	for (waited = 0; queued_ops(ks) < 2 && waited < 10000; waited++)
		usleep(1000);
	CHECK_INT_EQ(queued_ops(ks), 2);
	__atomic_store_n(&held.release, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_OK(w[i].rc);
	}
	CHECK_UINT_EQ(keystore_test_batches(ks) - batches0, 3);
	/*
	 * Each hook runs after its writers are woken, and the inline one and
	 * the committer's may run in either order: wait for both, match by thread.
	 */
	for (waited = 0; hook_calls(&ct) < 3 && waited < 10000; waited++)
		usleep(1000);
	pthread_mutex_lock(&ct.mu);
	CHECK_INT_EQ(ct.n, 3);
	i = ct_index(&ct, w[0].self);
	CHECK(i > 0 && ct.writes[i] == 1);
	/* The two queued writes: one batch, on the committer, neither writer's thread. */
	i = ct_index(&ct, ks->committer);
	CHECK(i > 0 && ct.writes[i] == 2);
	pthread_mutex_unlock(&ct.mu);
	CHECK(raw_len(ks, "held") > 0);
	CHECK(raw_len(ks, "a") > 0);
	CHECK(raw_len(ks, "b") > 0);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * At the map ceiling, an operation too big for what is left fails alone
 * with KBS_ERR_STORE_FULL; the small writes batched with it still commit.
 */
static void
test_full_map_fails_only_the_big_write(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 256 << 10, 256 << 10, 0, NULL, NULL };
	struct keystore *ks;
	struct big_op a[3] = { { "small-1", 100 }, { "too-big", 1 << 20 }, { "small-2", 100 } };
	struct ks_op ops[3];
	size_t i;

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, &opts);
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 3; i++) {
		ops[i].fn = big_op_fn;
		ops[i].arg = &a[i];
	}
	keystore_test_run_batch(ks, ops, 3);
	CHECK_OK(ops[0].result);
	CHECK_ERR(ops[1].result, KBS_ERR_STORE_FULL);
	CHECK_OK(ops[2].result);
	CHECK_UINT_EQ(raw_len(ks, "small-1"), 100);
	CHECK_UINT_EQ(raw_len(ks, "small-2"), 100);
	CHECK_UINT_EQ(raw_len(ks, "too-big"), 0);
	/* Alone, it fails the same way. */
	keystore_test_run_batch(ks, &ops[1], 1);
	CHECK_ERR(ops[1].result, KBS_ERR_STORE_FULL);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * stale_reader forks a process that opens the store, starts a read
 * transaction and is killed inside it, leaving its reader slot behind;
 * returns its pid.
 */
static pid_t
stale_reader(struct ks_fixture *f)
{
	int fds[2], status = 0;
	char c = 0;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		struct keystore *ks = NULL;
		MDB_txn *txn = NULL;

		alarm(30);
		if (keystore_open(f->dir, &f->src, NULL, &ks) != 0 || ks_read_begin(ks, &txn) != 0)
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	CHECK(pid > 0 && read(fds[0], &c, 1) == 1);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	close(fds[0]);
	close(fds[1]);
	return pid;
}

struct slot_search {
	pid_t pid;
	bool found;
};

static int
slot_line(const char *msg, void *ctx)
{
	struct slot_search *ss = ctx;
	int pid = 0;

	if (sscanf(msg, "%d", &pid) == 1 && pid == ss->pid)
		ss->found = true;
	return 0;
}

static bool
has_reader_slot(struct keystore *ks, pid_t pid)
{
	struct slot_search ss = { pid, false };

	(void)mdb_reader_list(ks->env, slot_line, &ss);
	return ss.found;
}

/*
 * A reader killed inside its transaction pins every page its snapshot
 * sees until someone clears its slot. With the map held to 4 MiB, 1500
 * overwrites of 8 KiB values need the pinned pages back: the batch that
 * meets MAP_FULL clears the dead slot before growing, and every write
 * succeeds. Separately, batches clear dead slots every reader_check_ns.
 */
static void
test_stale_reader_cleared(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 1 << 20, 4 << 20, 0, NULL, NULL };
	struct keystore *ks;
	uint8_t value[8192];
	char name[16];
	int i, failures = 0, first = 0;
	pid_t pid;

	ks_fixture_init(&f, 4);
	ks = ks_open_default(&f, &opts);
	ks->reader_check_ns = UINT64_MAX; /* only MAP_FULL may clear it here */
	memset(value, 0x33, sizeof(value));
	CHECK_OK(keystore_secret_put(ks, "v0", value, sizeof(value), NULL, &ks_actor, NULL));
	pid = stale_reader(&f);
	CHECK(has_reader_slot(ks, pid));
	for (i = 0; i < 1500; i++) {
		int r;

		snprintf(name, sizeof(name), "v%d", i % 10);
		value[0] = (uint8_t)i;
		r = keystore_secret_put(ks, name, value, sizeof(value), NULL, &ks_actor, NULL);
		if (r != 0 && failures++ == 0)
			first = r;
	}
	CHECK_INT_EQ(failures, 0);
	CHECK_ERR(first, 0);
	CHECK(!has_reader_slot(ks, pid));
	CHECK(keystore_map_size(ks) <= opts.max_map_size);

	/* The periodic check: due at once, so the next write clears a new dead slot. */
	ks->reader_check_ns = 0;
	pid = stale_reader(&f);
	CHECK(has_reader_slot(ks, pid));
	CHECK_OK(keystore_secret_put(ks, "after", value, 10, NULL, &ks_actor, NULL));
	CHECK(!has_reader_slot(ks, pid));
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_lone_writer_commits_on_its_thread), TEST(test_batch_results_are_separate),
    TEST(test_full_map_fails_only_the_big_write), TEST(test_stale_reader_cleared),
    TEST(test_group_commit), TEST(test_group_commit_growing_map), TEST(test_one_commit_per_write))
