/*
 * bench_proc.h: what kbs-bench reads about the broker process from /proc.
 *
 * Only processes of our own user can be found this way (/proc/PID/fd is
 * readable by the owner only), which is the benchmark's case: it runs
 * beside a broker it or its driver started.
 */
#ifndef KBS_BENCH_PROC_H
#define KBS_BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

/*
 * bench_find_listener finds the process that holds the TCP socket
 * listening on port (IPv4 or IPv6, any address). 0 and *ret_pid, or -1
 * when no such socket or no process of ours holds it.
 */
int bench_find_listener(unsigned port, pid_t *ret_pid);

/*
 * bench_cpu_ns reads utime + stime of pid (all its threads, from
 * /proc/PID/stat) in nanoseconds; the kernel counts them in clock ticks
 * (sysconf(_SC_CLK_TCK), usually 100 per second), so the value moves in
 * steps of 10 ms; *ret_sys_ns gets the stime part. 0 or -1.
 */
int bench_cpu_ns(pid_t pid, uint64_t *ret_ns, uint64_t *ret_sys_ns);

/* bench_rss_kib reads VmRSS of pid (/proc/PID/status) in KiB. 0 or -1. */
int bench_rss_kib(pid_t pid, uint64_t *ret_kib);

#endif
