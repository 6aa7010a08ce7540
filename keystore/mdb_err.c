/*
 * mdb_err.c: translating LMDB's codes (MDB_* and errno values) into
 * KBS_ERR_*, in one place, so that no other file passes a foreign code
 * upward and none of them depends on another just for this.
 */
#include "keystore-int.h"

#include <errno.h>
#include <stdint.h>
#include <sys/statvfs.h>

int
ks_mdb_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return KBS_ERR_NOT_FOUND;
	case MDB_KEYEXIST:
		return KBS_ERR_EXISTS;
	case MDB_MAP_FULL:
		return KBS_ERR_STORE_MAP_FULL;
	case MDB_TXN_FULL:
	case MDB_BAD_VALSIZE:
		return KBS_ERR_TOO_LARGE;
	case MDB_READERS_FULL:
		return KBS_ERR_STORE_BUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return KBS_ERR_STORE_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return KBS_ERR_STORE_OPEN;
	case MDB_PANIC:
		return KBS_ERR_IO;
	case ENOSPC:
	case EDQUOT:
		return KBS_ERR_STORE_FULL;
	case ENOMEM:
		return KBS_ERR_ALLOC;
	case EIO:
		return KBS_ERR_IO;
	default:
		if (rc > 0) {
			errno = rc;
			return KBS_ERR_SYSTEM;
		}
		return KBS_ERR_STORE_OPEN;
	}
}

/*
 * LMDB reports a short write (a file system that runs out of room in the
 * middle of a multi-page write, as tmpfs does) as EIO. If the file system
 * has no room left, say so.
 */
int
ks_commit_err(struct keystore *ks, int rc)
{
	struct statvfs sv;
	int fd = -1;

	if (rc == EIO && mdb_env_get_fd(ks->env, &fd) == 0 && fstatvfs(fd, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < (1u << 20))
		return KBS_ERR_STORE_FULL;
	return ks_mdb_err(rc);
}
