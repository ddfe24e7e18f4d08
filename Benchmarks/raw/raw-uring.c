/*
 * raw-uring: the ceiling uring-bench compares with, written against liburing alone so
 * that it is not Swift's. One thread, one ring, `iodepth` operations in flight:
 * prepare `iodepth` SQEs, then loop { submit and wait for one CQE (one io_uring_enter),
 * take every ready CQE in batches, advance the CQ once per batch, prepare as many new
 * SQEs as completed }. Stops issuing at the deadline and drains what is in flight.
 *
 * Usage: raw-uring --file PATH --rw randread|read|randwrite|write --bs BYTES
 *                  --iodepth N --runtime SECONDS [--size BYTES] [--direct]
 *                  [--fixed-files] [--fixed-buffers] [--defer-taskrun] [--sqpoll] [--iopoll]
 *                  [--submit-each]
 * --defer-taskrun sets the ring up with SINGLE_ISSUER | DEFER_TASKRUN (completions are
 * posted only when this thread enters with GETEVENTS); --sqpoll with SQPOLL (a kernel
 * thread of this process polls the SQ: no enter per submission while it is awake; its
 * CPU time is in this process's getrusage); --iopoll with IOPOLL (completions are polled
 * from the device instead of interrupts: O_DIRECT on a device with poll queues only).
 * --submit-each enters the kernel the way fio's io_uring engine does by default: each
 * new SQE is submitted on its own (io_uring_submit_and_get_events: to_submit 1,
 * min_complete 0, GETEVENTS), and the loop blocks for one CQE only when none is ready.
 * The slots' buffers are one region in whole 2 MiB huge pages, advised for THP.
 * Prints one line of key=value pairs: ops, bytes, seconds (wall, first submit to last
 * CQE), user_s and sys_s (getrusage(RUSAGE_SELF) over the same interval), enters
 * (io_uring_enter calls this loop made), runq_wait_s (time the thread was runnable but
 * waiting for a CPU, from /proc/thread-self/schedstat: on a busy machine, what each
 * sleep-and-wake costs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(const struct timeval *tv) { return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6; }

/* Nanoseconds this thread has waited on a run queue (runnable, not running): the second
 * field of /proc/thread-self/schedstat; -1 when the kernel does not provide it. */
static double runqueue_wait_seconds(void) {
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long running = 0, waiting = 0;
    int n = f ? fscanf(f, "%llu %llu", &running, &waiting) : 0;
    if (f) fclose(f);
    return n == 2 ? (double)waiting * 1e-9 : -1;
}

static void fail(const char *what, int error) {
    fprintf(stderr, "raw-uring: %s: %s\n", what, strerror(error));
    exit(1);
}

struct config {
    const char *file;
    int is_write, is_random, direct, fixed_files, fixed_buffers, defer_taskrun, sqpoll, iopoll, submit_each;
    unsigned bs, depth;
    double runtime;
    long long size;
};

struct offsets {
    uint64_t state, next_block, blocks, bs;
    int is_random;
};

static uint64_t next_offset(struct offsets *o) {
    if (o->is_random) {
        /* SplitMix64: any good 64-bit mix will do, block-aligned within the file. */
        uint64_t z = (o->state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return (z % o->blocks) * o->bs;
    }
    uint64_t block = o->next_block;
    o->next_block = (o->next_block + 1) % o->blocks;
    return block * o->bs;
}

static void parse(int argc, char **argv, struct config *c) {
    memset(c, 0, sizeof(*c));
    c->bs = 4096;
    c->depth = 32;
    c->runtime = 2;
    c->is_random = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--direct")) c->direct = 1;
        else if (!strcmp(a, "--fixed-files")) c->fixed_files = 1;
        else if (!strcmp(a, "--fixed-buffers")) c->fixed_buffers = 1;
        else if (!strcmp(a, "--defer-taskrun")) c->defer_taskrun = 1;
        else if (!strcmp(a, "--sqpoll")) c->sqpoll = 1;
        else if (!strcmp(a, "--iopoll")) c->iopoll = 1;
        else if (!strcmp(a, "--submit-each")) c->submit_each = 1;
        else if (v == NULL) { fprintf(stderr, "raw-uring: %s needs a value\n", a); exit(2); }
        else if (!strcmp(a, "--file")) { c->file = v; i++; }
        else if (!strcmp(a, "--bs")) { c->bs = (unsigned)strtoul(v, NULL, 10); i++; }
        else if (!strcmp(a, "--iodepth")) { c->depth = (unsigned)strtoul(v, NULL, 10); i++; }
        else if (!strcmp(a, "--runtime")) { c->runtime = strtod(v, NULL); i++; }
        else if (!strcmp(a, "--size")) { c->size = strtoll(v, NULL, 10); i++; }
        else if (!strcmp(a, "--rw")) {
            i++;
            if (!strcmp(v, "randread")) { c->is_random = 1; c->is_write = 0; }
            else if (!strcmp(v, "read")) { c->is_random = 0; c->is_write = 0; }
            else if (!strcmp(v, "randwrite")) { c->is_random = 1; c->is_write = 1; }
            else if (!strcmp(v, "write")) { c->is_random = 0; c->is_write = 1; }
            else { fprintf(stderr, "raw-uring: unknown --rw %s\n", v); exit(2); }
        } else { fprintf(stderr, "raw-uring: unknown option %s\n", a); exit(2); }
    }
    if (!c->file || c->bs == 0 || c->depth == 0 || c->depth > 4096 || c->runtime <= 0) {
        fprintf(stderr, "raw-uring: need --file, --bs > 0, --iodepth 1...4096, --runtime > 0\n");
        exit(2);
    }
}

static void prepare(struct io_uring *ring, const struct config *c, int fd, char *buffers, unsigned slot,
                    struct offsets *o) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) { fprintf(stderr, "raw-uring: submission queue full\n"); exit(1); }
    void *buffer = buffers + (size_t)slot * c->bs;
    int target = c->fixed_files ? 0 : fd;
    uint64_t offset = next_offset(o);
    if (c->fixed_buffers) {
        if (c->is_write) io_uring_prep_write_fixed(sqe, target, buffer, c->bs, offset, (int)slot);
        else io_uring_prep_read_fixed(sqe, target, buffer, c->bs, offset, (int)slot);
    } else if (c->is_write) {
        io_uring_prep_write(sqe, target, buffer, c->bs, offset);
    } else {
        io_uring_prep_read(sqe, target, buffer, c->bs, offset);
    }
    if (c->fixed_files) sqe->flags |= IOSQE_FIXED_FILE;
    sqe->user_data = slot;
}

int main(int argc, char **argv) {
    struct config c;
    parse(argc, argv, &c);
    int fd = open(c.file, (c.is_write ? O_WRONLY : O_RDONLY) | (c.direct ? O_DIRECT : 0));
    if (fd < 0) fail(c.file, errno);
    if (c.size <= 0) {
        struct stat st;
        if (fstat(fd, &st) != 0) fail("fstat", errno);
        c.size = st.st_size;
    }
    struct offsets o = {.state = 0xC0FFEE, .next_block = 0, .bs = c.bs, .is_random = c.is_random};
    o.blocks = (uint64_t)c.size / c.bs;
    if (o.blocks == 0) { fprintf(stderr, "raw-uring: file smaller than one block\n"); return 1; }

    struct io_uring ring;
    struct io_uring_params params;
    memset(&params, 0, sizeof(params));
    if (c.defer_taskrun) params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (c.sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = 1000; /* ms the poller spins before it sleeps */
    }
    if (c.iopoll) params.flags |= IORING_SETUP_IOPOLL;
    int rc = io_uring_queue_init_params(c.depth, &ring, &params);
    if (rc < 0) fail("io_uring_queue_init_params", -rc);

    char *buffers = NULL;
    /* One region for every slot, in whole 2 MiB huge pages advised for THP, as the Swift
     * engines get from AlignedBuffer: each block of up to 2 MiB is physically contiguous. */
    size_t huge = 2u << 20;
    size_t region = ((size_t)c.depth * c.bs + huge - 1) / huge * huge;
    if (posix_memalign((void **)&buffers, huge, region) != 0) fail("posix_memalign", ENOMEM);
    (void)madvise(buffers, region, MADV_HUGEPAGE); /* advice: ordinary pages without THP */
    memset(buffers, 0x5A, (size_t)c.depth * c.bs);
    if (c.fixed_files && (rc = io_uring_register_files(&ring, &fd, 1)) < 0) fail("register_files", -rc);
    if (c.fixed_buffers) {
        struct iovec *iov = calloc(c.depth, sizeof(*iov));
        for (unsigned i = 0; i < c.depth; i++) {
            iov[i].iov_base = buffers + (size_t)i * c.bs;
            iov[i].iov_len = c.bs;
        }
        if ((rc = io_uring_register_buffers(&ring, iov, c.depth)) < 0) fail("register_buffers", -rc);
        free(iov);
    }

    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    double runq_before = runqueue_wait_seconds();
    double start = now_seconds();
    double deadline = start + c.runtime;
    for (unsigned slot = 0; slot < c.depth; slot++) prepare(&ring, &c, fd, buffers, slot, &o);
    unsigned in_flight = c.depth;
    unsigned long long ops = 0, enters = 0;
    int issuing = 1;
    unsigned reaped_since_check = 0;
    struct io_uring_cqe *cqes[64];
    if (c.submit_each) {
        rc = io_uring_submit(&ring);
        enters++;
        if (rc < 0) fail("io_uring_submit", -rc);
    }
    while (in_flight > 0) {
        if (!c.submit_each || io_uring_cq_ready(&ring) == 0) {
            rc = io_uring_submit_and_wait(&ring, 1);
            enters++;
        } else {
            rc = 0;
        }
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) fail("io_uring_submit_and_wait", -rc);
        unsigned completed;
        while ((completed = io_uring_peek_batch_cqe(&ring, cqes, 64)) > 0) {
            for (unsigned i = 0; i < completed; i++) {
                int res = cqes[i]->res;
                if (res != (int)c.bs) {
                    if (res < 0) fail("operation", -res);
                    fprintf(stderr, "raw-uring: operation moved %d of %u bytes\n", res, c.bs);
                    return 1;
                }
                unsigned slot = (unsigned)cqes[i]->user_data;
                if (!issuing) {
                    in_flight--;
                    continue;
                }
                prepare(&ring, &c, fd, buffers, slot, &o);
                if (c.submit_each) {
                    rc = io_uring_submit_and_get_events(&ring);
                    enters++;
                    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) fail("io_uring_submit", -rc);
                }
            }
            io_uring_cq_advance(&ring, completed);
            ops += completed;
            reaped_since_check += completed;
            /* One clock read per ~depth completions, not per CQE. */
            if (issuing && reaped_since_check >= c.depth) {
                reaped_since_check = 0;
                if (now_seconds() >= deadline) issuing = 0;
            }
        }
    }
    double seconds = now_seconds() - start;
    getrusage(RUSAGE_SELF, &after);
    double runq = runqueue_wait_seconds() - runq_before;
    printf("ops=%llu bytes=%llu seconds=%.6f user_s=%.6f sys_s=%.6f enters=%llu runq_wait_s=%.6f\n", ops, ops * c.bs,
           seconds, cpu_seconds(&after.ru_utime) - cpu_seconds(&before.ru_utime),
           cpu_seconds(&after.ru_stime) - cpu_seconds(&before.ru_stime), enters, runq);
    io_uring_queue_exit(&ring);
    close(fd);
    free(buffers);
    return 0;
}
