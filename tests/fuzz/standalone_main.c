/*
 * standalone_main.c: replays fuzz inputs without libFuzzer.
 *
 * Each argument is a file or a directory of files; every file is fed once
 * to LLVMFuzzerTestOneInput. meson test runs each target over its seed
 * corpus (and the crashes kept there), so the sanitizer build checks them.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kbs_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if ((r = kbs_file_read(path, 1u << 24, &data, &len)) != 0) {
		fprintf(stderr, "%s: %s\n", path, kbs_err_str(r));
		return 1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
replay(const char *path, int *count)
{
	struct stat st;
	struct dirent **names = NULL;
	char child[4096];
	int n, i, bad = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		perror(path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
			bad |= replay(child, count);
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int
main(int argc, char **argv)
{
	int i, bad = 0, count = 0;

	if (kbs_crypto_init() != 0)
		return 2;
	for (i = 1; i < argc; i++)
		bad |= replay(argv[i], &count);
	printf("replayed %d inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "no inputs replayed\n");
		return 1;
	}
	return bad;
}
