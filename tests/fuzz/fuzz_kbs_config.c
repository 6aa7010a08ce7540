/*
 * fuzz_kbs_config.c: kbs_config_load, the reader of the daemon's --config
 * file, on arbitrary bytes. The bytes are handed over as a file (a memfd
 * opened by its /proc/self/fd path), so the real loader runs unchanged.
 *
 * Invariants (abort on violation): a refusal is KBS_ERR_CONFIG (or out of
 * memory) with a message that starts with the file's name; an accepted
 * file leaves every string NUL-terminated within its field, every list
 * within KBS_CONFIG_MAX_LIST, tls_cert and tls_key set together, etcd's
 * cert_file and key_file set together and its TLS files only with
 * https:// endpoints, and
 * loading the same bytes again over the defaults gives the same settings.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];
static struct kbs_config a, b;

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_kbs_config: %s\n", what);
	abort();
}

static int
load(const uint8_t *data, size_t size, struct kbs_config *cfg, char *msg, size_t msg_size)
{
	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		fail("memfd write");
	kbs_config_defaults(cfg);
	return kbs_config_load(cfg, path, msg, msg_size);
}

static void
check_str(const char *s, size_t size)
{
	if (strnlen(s, size) == size)
		fail("a setting without its NUL");
}

static void
check_list(const struct kbs_config_list *l)
{
	size_t i;

	if (l->n > KBS_CONFIG_MAX_LIST)
		fail("a list past its bound");
	for (i = 0; i < l->n; i++)
		check_str(l->item[i], sizeof(l->item[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[512], msg2[512];
	int r;

	if (size > KBS_CONFIG_MAX_FILE + 1)
		return 0;
	if (fd < 0) {
		if ((fd = memfd_create("kbs-fuzz-config", MFD_CLOEXEC)) < 0)
			fail("memfd_create");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	r = load(data, size, &a, msg, sizeof(msg));
	check_str(msg, sizeof(msg));
	if (r != 0) {
		if (r != KBS_ERR_CONFIG && r != KBS_ERR_ALLOC && r != KBS_ERR_TOO_LARGE)
			fail("unexpected code");
		if (strncmp(msg, path, strlen(path)) != 0)
			fail("a refusal whose message does not name the file");
		return 0;
	}
	check_str(a.listen, sizeof(a.listen));
	check_str(a.admin_listen, sizeof(a.admin_listen));
	check_str(a.tls_cert, sizeof(a.tls_cert));
	check_str(a.tls_key, sizeof(a.tls_key));
	check_str(a.replica_id, sizeof(a.replica_id));
	check_list(&a.trust_roots);
	check_list(&a.cert_files);
	check_list(&a.crls);
	if ((a.tls_cert[0] == '\0') != (a.tls_key[0] == '\0'))
		fail("tls_cert without tls_key");
	check_str(a.etcd.ca_file, sizeof(a.etcd.ca_file));
	check_str(a.etcd.cert_file, sizeof(a.etcd.cert_file));
	check_str(a.etcd.key_file, sizeof(a.etcd.key_file));
	if ((a.etcd.cert_file[0] == '\0') != (a.etcd.key_file[0] == '\0'))
		fail("etcd cert_file without key_file");
	if (a.etcd.ca_file[0] != '\0' || a.etcd.cert_file[0] != '\0') {
		size_t i;

		for (i = 0; i < a.etcd.n_endpoints; i++)
			if (strncmp(a.etcd.endpoints[i], "https://", 8) != 0)
				fail("etcd TLS files with an http:// endpoint");
	}
	if (load(data, size, &b, msg2, sizeof(msg2)) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
		fail("the same file read twice gave different settings");
	return 0;
}
