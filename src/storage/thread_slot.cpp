// Thread slots: see bentoml/metrics/detail/thread_slot.hpp for what they are for.
#include "bentoml/metrics/detail/thread_slot.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

namespace bentoml::metrics::detail {
namespace {

/// Bit s set: slot s is held by a live thread.
std::atomic<std::uint64_t> held_slots{0};

/// Gives the slot back when its thread exits, so a later thread can take it over.
struct SlotReleaser {
  int slot = -1;
  ~SlotReleaser() {
    if (slot < 0) return;
    tls_slot_plus_one = -1;  // anything recorded later by this thread goes to shared cells
    // release: the next holder of this slot sees every value this thread stored in its cells.
    held_slots.fetch_and(~(std::uint64_t{1} << slot), std::memory_order_release);
  }
};

thread_local SlotReleaser releaser;

}  // namespace

int thread_slot_count() noexcept {
  static const int count = [] {
    const auto hardware = static_cast<int>(std::thread::hardware_concurrency());
    return std::clamp(2 * hardware, 4, 64);
  }();
  return count;
}

void release_thread_slots_after_fork() noexcept {
  const int slot_plus_one = tls_slot_plus_one;
  // The next holder of a dead thread's slot continues its cells: that thread writes no more.
  held_slots.store(slot_plus_one > 0 ? std::uint64_t{1} << (slot_plus_one - 1) : 0,
                   std::memory_order_release);
}

int claim_thread_slot() noexcept {
  const int count = thread_slot_count();
  std::uint64_t held = held_slots.load(std::memory_order_relaxed);
  for (;;) {
    int free_slot = -1;
    for (int slot = 0; slot < count; ++slot) {
      if ((held & (std::uint64_t{1} << slot)) == 0) {
        free_slot = slot;
        break;
      }
    }
    if (free_slot < 0) {
      tls_slot_plus_one = -1;
      return -1;
    }
    // acquire: pairs with the release of the slot's previous holder.
    if (held_slots.compare_exchange_weak(held, held | (std::uint64_t{1} << free_slot),
                                         std::memory_order_acquire, std::memory_order_relaxed)) {
      releaser.slot = free_slot;
      tls_slot_plus_one = free_slot + 1;
      return free_slot;
    }
  }
}

}  // namespace bentoml::metrics::detail
