// The C surface swift-uring imports. liburing.h imports almost whole; this file adds
// only what the Swift importer cannot reach, one line of reason each.
#ifndef SWIFT_URING_SHIM_H
#define SWIFT_URING_SHIM_H

// Must precede liburing.h: without it glibc's fd_set is declared twice for any target
// that also imports Glibc or Foundation, and the build fails.
#include <features.h>
// swift-system's CSystem module imports the kernel's <linux/io_uring.h>; liburing ships
// its own copy with the same include guard. Including the kernel's first makes both
// modules see one definition of io_uring_sqe (two differing ones do not build).
#include <linux/io_uring.h>
#include <liburing.h>
#include <stdint.h>
// struct statx, which io_uring_prep_statx fills; Glibc declares it only under _GNU_SOURCE.
#include <linux/stat.h>
// eventfd(2), which each worker's ring keeps a read armed on; Glibc's module omits it.
#include <sys/eventfd.h>

// IOSQE_* are macros over enum constants (1U << IOSQE_*_BIT), which Swift does not import.
static const uint8_t CURING_IOSQE_FIXED_FILE = IOSQE_FIXED_FILE;
static const uint8_t CURING_IOSQE_IO_DRAIN = IOSQE_IO_DRAIN;
static const uint8_t CURING_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const uint8_t CURING_IOSQE_IO_HARDLINK = IOSQE_IO_HARDLINK;
static const uint8_t CURING_IOSQE_ASYNC = IOSQE_ASYNC;
static const uint8_t CURING_IOSQE_BUFFER_SELECT = IOSQE_BUFFER_SELECT;
static const uint8_t CURING_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;

// A cast macro ((__u64) -1): Swift imports no cast macros. liburing reserves it.
static const uint64_t CURING_LIBURING_UDATA_TIMEOUT = LIBURING_UDATA_TIMEOUT;

// io_uring_for_each_cqe is a for-loop macro; this reads the CQE at a ring index the
// same way (IO_URING_READ_ONCE of the tail is done by io_uring_cq_ready in Swift).
static inline struct io_uring_cqe *curing_cqe_at(struct io_uring *ring, unsigned index) {
    unsigned shift = (ring->flags & IORING_SETUP_CQE32) ? 1 : 0;
    return &ring->cq.cqes[(index & ring->cq.ring_mask) << shift];
}

// IO_URING_READ_ONCE is a macro (a relaxed atomic load); the kernel sets IORING_SQ_TASKRUN
// in this word while completion work waits for the ring's thread (IORING_SETUP_TASKRUN_FLAG).
static inline unsigned curing_sq_flags(const struct io_uring *ring) {
    return IO_URING_READ_ONCE(*ring->sq.kflags);
}

// The CPU's spin-wait hint (x86 PAUSE, arm64 YIELD), which Swift has no way to emit.
static inline void curing_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Whether the running Swift task is cancelled, without the retain and release of the task
// that Task.isCancelled's withUnsafeCurrentTask costs (two atomic read-modify-writes per
// I/O). These are the Swift concurrency runtime's exported, ABI-stable entry points that
// Task.isCancelled wraps; both take and return the task unretained. Declared here because
// Swift code may not name runtime symbols (@_silgen_name of a swift_ name is refused).
extern void *swift_task_getCurrent(void) __attribute__((swiftcall));
extern _Bool swift_task_isCancelled(void *task) __attribute__((swiftcall));

static inline _Bool curing_current_task_is_cancelled(void) {
    void *task = swift_task_getCurrent();
    return task != 0 && swift_task_isCancelled(task);
}

// The CPU the calling thread runs on (glibc reads it from the thread's rseq area), for
// per-CPU counters; -1 if unknown. Glibc's module declares sched_getcpu only under _GNU_SOURCE.
extern int sched_getcpu(void);
static inline int curing_current_cpu(void) {
    return sched_getcpu();
}

#endif
