// Internal: thread slots, the key to single-writer cells. Not part of the API.
//
// A process has `thread_slot_count()` slots (between 4 and 64, twice the hardware threads). A
// thread claims a free slot the first time it records into a contended series and gives it back
// when it exits. While a thread holds slot `s`, it is the only writer of cell `s` of every striped
// counter and of shard `s` of every histogram, so it updates them with a plain load and store (no
// LOCK prefix). Claiming uses an acquire CAS on the slot bitmap and releasing a release store, so
// the next holder of a slot sees every value the previous holder wrote. A thread that finds no
// free slot gets -1 and records through the shared (atomic read-modify-write) cells instead.
#pragma once

#include "bentoml/metrics/detail/config.hpp"

namespace bentoml::metrics::detail {

/// How many slots this process has (fixed at first use).
int thread_slot_count() noexcept;

/// Claims a slot for the calling thread; -1 when all are taken. Slow path of this_thread_slot.
int claim_thread_slot() noexcept;

/// In a child process after fork(): frees every slot but the calling thread's (the others'
/// threads do not exist there), so that the child's new threads can claim them.
void release_thread_slots_after_fork() noexcept;

/// 0: not claimed yet; s + 1: holds slot s; -1: no slot (records through shared cells).
inline thread_local int tls_slot_plus_one = 0;

/// The calling thread's slot, or -1 when it has none.
inline int this_thread_slot() noexcept {
  const int slot_plus_one = tls_slot_plus_one;
  if (BENTOML_METRICS_LIKELY(slot_plus_one > 0)) return slot_plus_one - 1;
  if (slot_plus_one < 0) return -1;
  return claim_thread_slot();
}

}  // namespace bentoml::metrics::detail
