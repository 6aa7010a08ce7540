/*
 * test_tree.h: removing a test's scratch directory tree (header only),
 * for tests, fuzz targets and benchmarks that make one under /tmp.
 *
 * nftw is declared only with _GNU_SOURCE (or _XOPEN_SOURCE), which has to
 * come before the first system header: the including file defines it.
 */
#ifndef KBS_TEST_TREE_H
#define KBS_TEST_TREE_H

#ifndef _GNU_SOURCE
#error "test_tree.h needs _GNU_SOURCE defined before any include (nftw)"
#endif

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int
test_tree_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* test_rm_rf removes path and everything under it, links not followed; errors ignored. */
static inline void
test_rm_rf(const char *path)
{
	(void)nftw(path, test_tree_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
