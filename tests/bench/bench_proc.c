/*
 * bench_proc.c: the broker's pid, CPU time and RSS from /proc.
 *
 * The pid is found from the listening port: /proc/net/tcp and tcp6 give
 * the inode of the socket in state LISTEN (0A) on that local port, and the
 * process whose /proc/PID/fd has a link "socket:[INODE]" holds it.
 */
#include "bench_proc.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_LISTEN_STATE 0x0A

/* listen_inode scans one /proc/net table for a LISTEN socket on port. */
static int
listen_inode(const char *table, unsigned port, unsigned long *ret_inode)
{
	char line[512];
	FILE *f = fopen(table, "r");
	int found = -1;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) { /* the header */
		fclose(f);
		return -1;
	}
	while (found != 0 && fgets(line, sizeof(line), f) != NULL) {
		char local[128], remote[128];
		unsigned st, lport;
		unsigned long inode;
		char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, "%*s %127s %127s %x %*s %*s %*s %*u %*u %lu", local, remote, &st,
			&inode) != 4 ||
		    st != TCP_LISTEN_STATE || (colon = strrchr(local, ':')) == NULL)
			continue;
		if (sscanf(colon + 1, "%x", &lport) == 1 && lport == port && inode != 0) {
			*ret_inode = inode;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* holds_inode: 1 when /proc/PID/fd of pid links to socket:[inode]. */
static int
holds_inode(const char *pid, const char *want)
{
	char dir[300], path[600], link[64];
	struct dirent *e;
	DIR *d;
	int yes = 0;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	if ((d = opendir(dir)) == NULL)
		return 0; /* another user's process, or gone */
	while (!yes && (e = readdir(d)) != NULL) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		yes = strcmp(link, want) == 0;
	}
	closedir(d);
	return yes;
}

int
bench_find_listener(unsigned port, pid_t *ret_pid)
{
	unsigned long inode = 0;
	char want[48];
	struct dirent *e;
	DIR *d;
	int r = -1;

	if (listen_inode("/proc/net/tcp", port, &inode) != 0 &&
	    listen_inode("/proc/net/tcp6", port, &inode) != 0)
		return -1;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (r != 0 && (e = readdir(d)) != NULL) {
		char *end;
		long v;

		errno = 0;
		v = strtol(e->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || v <= 0)
			continue;
		if (holds_inode(e->d_name, want)) {
			*ret_pid = (pid_t)v;
			r = 0;
		}
	}
	closedir(d);
	return r;
}

int
bench_cpu_ns(pid_t pid, uint64_t *ret_ns, uint64_t *ret_sys_ns)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (tck <= 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and parentheses: skip past the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* Fields 3..13, then utime (14) and stime (15). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	*ret_ns = (uint64_t)(ut + st) * (1000000000ull / (uint64_t)tck);
	*ret_sys_ns = (uint64_t)st * (1000000000ull / (uint64_t)tck);
	return 0;
}

int
bench_rss_kib(pid_t pid, uint64_t *ret_kib)
{
	char path[64], line[256];
	FILE *f;
	int r = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (r != 0 && fgets(line, sizeof(line), f) != NULL) {
		uint64_t v;

		if (sscanf(line, "VmRSS: %" SCNu64 " kB", &v) == 1) {
			*ret_kib = v;
			r = 0;
		}
	}
	fclose(f);
	return r;
}
