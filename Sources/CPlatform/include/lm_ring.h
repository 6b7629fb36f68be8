// Primitives of the shared-memory ring that Swift cannot express at an arbitrary address:
// atomics on plain integers inside the mapped segment, futex wait/wake, and CRC-32C.
//
// The atomics are `static inline` over the `__atomic` builtins so that they compile to single
// instructions inside the Swift callers; C11 `_Atomic` fields would be invisible to Swift.
#ifndef LM_RING_H
#define LM_RING_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t lm_load_acquire_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint64_t lm_load_relaxed_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void lm_store_release_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void lm_store_relaxed_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint64_t lm_fetch_add_relaxed_u64(uint64_t *p, uint64_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
/// Compare-and-swap with acquire-release ordering; on failure `*expected` holds the current value.
static inline int lm_cas_u64(uint64_t *p, uint64_t *expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline uint32_t lm_load_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline uint32_t lm_fetch_add_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static inline void lm_store_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t lm_exchange_u32(uint32_t *p, uint32_t v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }

/// A full (sequentially consistent) fence: orders an earlier store before a later load.
static inline void lm_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/// A hint to the CPU that this thread is in a short wait loop.
static inline void lm_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// FUTEX_WAIT on a shared (not private) futex word: sleeps while `*word == expected`.
/// `timeout_ns` < 0 waits forever. Returns 0 when woken, or -1 with errno (EAGAIN: the word had
/// already changed; ETIMEDOUT; EINTR: a signal arrived).
int lm_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/// FUTEX_WAKE on a shared futex word: wakes up to `count` waiters of every process.
int lm_futex_wake(uint32_t *word, int count);

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (0 to start). Uses the SSE 4.2
/// instruction when the CPU has it.
uint32_t lm_crc32c(uint32_t crc, const void *data, size_t length);

#endif
