/*
 * Crash test: a child process writes secrets and audit records from three
 * threads (so group commit batches them) and reports every acknowledged
 * write on a pipe; the parent kills it with SIGKILL at a random moment,
 * many times, reopens the store and checks that every acknowledged write
 * is there with the right bytes, that the audit chain verifies and that
 * nothing is corrupt, and that every secret is the one the audit log says
 * (keystore_verify_state: a put and its audit record are one commit). The map starts tiny so some
 * kills land during map growth. (A killed process leaves its writes in the page cache; power loss
 * is covered by LMDB's fsync ordering, which this cannot simulate.)
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "ks_test.h"

#define THREADS 3
#define ROUNDS 24
#define MAX_ACKS 200000

/* One acknowledged write, as sent on the pipe (16 bytes: atomic). */
struct ack {
	uint8_t kind; /* 1 secret, 2 audit */
	uint8_t thread;
	uint16_t round;
	uint32_t i;
	uint64_t seq; /* audit: the sequence number returned */
};

struct child_thread {
	struct keystore *ks;
	int fd;
	int round;
	int thread;
};

static void
value_for(uint8_t *v, size_t n, int round, int thread, uint32_t i)
{
	size_t k;

	for (k = 0; k < n; k++)
		v[k] = (uint8_t)(round * 31 + thread * 7 + i + k);
}

static void *
child_writer(void *arg)
{
	struct child_thread *ct = arg;
	struct keystore_audit_record r;
	struct ack a;
	uint8_t value[300];
	char name[48], rid[48];
	uint32_t i;

	for (i = 0;; i++) {
		snprintf(name, sizeof(name), "r%d-t%d-%u", ct->round, ct->thread, i);
		value_for(value, sizeof(value), ct->round, ct->thread, i);
		if (keystore_secret_put(
			ct->ks, name, value, sizeof(value), NULL, &ks_actor, NULL) != 0)
			_exit(3);
		memset(&a, 0, sizeof(a));
		a.kind = 1;
		a.thread = (uint8_t)ct->thread;
		a.round = (uint16_t)ct->round;
		a.i = i;
		if (write(ct->fd, &a, sizeof(a)) != sizeof(a))
			_exit(4);
		memset(&r, 0, sizeof(r));
		snprintf(rid, sizeof(rid), "%s", name);
		r.event = "crash-test";
		r.request_id = rid;
		if (keystore_audit_append(ct->ks, &r, &a.seq) != 0)
			_exit(5);
		a.kind = 2;
		if (write(ct->fd, &a, sizeof(a)) != sizeof(a))
			_exit(6);
	}
	return NULL;
}

static void
child_main(struct ks_fixture *f, int fd, int round)
{
	struct keystore_options opts = { 128 << 10, 0, 0, NULL, NULL };
	struct keystore *ks = NULL;
	struct child_thread ct[THREADS];
	pthread_t th[THREADS];
	int i;

	alarm(20); /* never outlive a broken parent */
	if (keystore_open(f->dir, &f->src, &opts, &ks) != 0)
		_exit(2);
	for (i = 0; i < THREADS; i++) {
		ct[i].ks = ks;
		ct[i].fd = fd;
		ct[i].round = round;
		ct[i].thread = i;
		if (pthread_create(&th[i], NULL, child_writer, &ct[i]) != 0)
			_exit(2);
	}
	for (;;)
		pause();
}

static size_t
read_acks(int fd, struct ack *acks, size_t n, size_t max, uint64_t deadline_ns)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t got;

	for (;;) {
		uint64_t now = kbs_time_monotonic_ns();
		int ms = deadline_ns == 0 ? -1
		    : now >= deadline_ns  ? 0
					  : (int)((deadline_ns - now) / 1000000);

		if (deadline_ns != 0 && now >= deadline_ns)
			return n;
		if (poll(&p, 1, ms) <= 0)
			continue;
		if (n >= max)
			return n;
		got = read(fd, &acks[n], sizeof(acks[0]));
		if (got == 0)
			return n; /* EOF: the child is gone and the pipe drained */
		if (got != sizeof(acks[0]))
			continue;
		n++;
	}
}

static void
check_acks(struct ks_fixture *f, const struct ack *acks, size_t from, size_t n)
{
	struct keystore *ks = ks_open_default(f, NULL);
	struct keystore_secret *s = NULL;
	struct keystore_audit_entry *e = NULL;
	uint8_t value[300];
	char name[48];
	uint64_t count = 0, bad = 0;
	size_t k;
	int missing = 0;

	for (k = from; k < n; k++) {
		const struct ack *a = &acks[k];

		snprintf(name, sizeof(name), "r%d-t%d-%u", a->round, a->thread, a->i);
		if (a->kind == 1) {
			if (keystore_secret_get(ks, name, &s) != 0) {
				missing++;
				continue;
			}
			value_for(value, sizeof(value), a->round, a->thread, a->i);
			CHECK(s->value_len == sizeof(value) &&
			    memcmp(s->value, value, sizeof(value)) == 0);
			keystore_secret_free(s);
			s = NULL;
		} else {
			if (keystore_audit_get(ks, a->seq, &e) != 0) {
				missing++;
				continue;
			}
			CHECK_STR_EQ(e->rec.request_id, name);
			keystore_audit_entry_free(e);
			e = NULL;
		}
	}
	CHECK_INT_EQ(missing, 0);
	CHECK_OK(keystore_audit_verify(ks, &count, &bad, NULL));
	/* Each put and its record commit together: no kill leaves one without the other. */
	CHECK_OK(keystore_verify_state(ks, NULL));
	keystore_close(ks);
}

static void
test_crash_loop(void)
{
	struct ks_fixture f;
	struct ack *acks = calloc(MAX_ACKS, sizeof(*acks));
	size_t n = 0, before;
	int round, status, fds[2];
	pid_t pid;
	uint32_t seed = (uint32_t)kbs_time_monotonic_ns();

	printf("# seed %u\n", seed);
	srand(seed);
	ks_fixture_init(&f, 0x42);
	/* Create the store before the first child so every round starts alike. */
	keystore_close(ks_open_default(&f, NULL));
	for (round = 0; round < ROUNDS; round++) {
		uint64_t delay_ms = 1 + (uint64_t)(rand() % 150);

		CHECK(pipe(fds) == 0);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			child_main(&f, fds[1], round);
		}
		close(fds[1]);
		before = n;
		/* Start the clock at the first acknowledged write: the child is up and writing. */
		n = read_acks(fds[0], acks, n, n + 1, kbs_time_monotonic_ns() + 10000000000ULL);
		CHECK(n == before + 1);
		n = read_acks(
		    fds[0], acks, n, MAX_ACKS, kbs_time_monotonic_ns() + delay_ms * 1000000);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* Whatever reached the pipe before the kill was acknowledged. */
		n = read_acks(fds[0], acks, n, MAX_ACKS, 0);
		close(fds[0]);
		check_acks(&f, acks, before, n);
	}
	printf("# %d kills, %zu acknowledged writes, all present\n", ROUNDS, n);
	CHECK(n > (size_t)ROUNDS * 2);
	/* Once more over everything, every earlier round included. */
	check_acks(&f, acks, 0, n);
	free(acks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_crash_loop))
