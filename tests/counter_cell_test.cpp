// The single-writer counter cell (detail/counter_cell.hpp): the owner's plain load and store, the
// other threads' count and stripes, the thread slot hand-over and the 2^64 carry must keep every
// total exact and every reading monotone. Labelled concurrency: CI runs it under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics/detail/counter_cell.hpp"
#include "concurrency_support.hpp"

namespace detail = bentoml::metrics::detail;
namespace testing_ = bentoml::metrics::testing;

namespace {

std::uint64_t exact(const detail::CounterCell& cell) {
  std::uint64_t total = 0;
  EXPECT_TRUE(cell.whole(total));
  return total;
}

/// Reads `cell` in a loop on its own thread until stopped; notes a reading that went down.
class MonotoneReader {
 public:
  explicit MonotoneReader(const detail::CounterCell& cell)
      : thread_([this, &cell] {
          std::uint64_t last = 0;
          while (!stop_.load()) {
            std::uint64_t now = 0;
            if (!cell.whole(now)) failures_.fetch_add(1);
            if (now < last) failures_.fetch_add(1);
            last = now;
            reads_.fetch_add(1);
          }
        }) {}
  ~MonotoneReader() { stop(); }
  MonotoneReader(const MonotoneReader&) = delete;
  MonotoneReader& operator=(const MonotoneReader&) = delete;
  int stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
    return failures_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::atomic<long> reads_{0};
  std::thread thread_;
};

}  // namespace

TEST(CounterCell, OwnerAndOtherThreadsAddUpExactlyBeforeAndAfterStriping) {
  detail::CounterCell cell;
  cell.add_whole(1);  // this thread owns the cell from now on
  std::thread([&] {
    for (int i = 0; i < 100; ++i) cell.add_whole(1);  // counted in the route word
  }).join();
  EXPECT_EQ(exact(cell), 101u);
  std::thread([&] {
    for (int i = 0; i < 10000; ++i) cell.add_whole(1);  // past the threshold: stripes
  }).join();
  EXPECT_EQ(exact(cell), 10101u);
  cell.add_whole(5);  // the former owner adds to its own cell once the counter is striped
  cell.add(0.5);
  EXPECT_EQ(exact(cell), 10106u);
  EXPECT_EQ(cell.fraction(), 0.5);
  EXPECT_EQ(cell.value(), 10106.5);
}

TEST(CounterCell, OwnerAndOthersAtOnceStayExactAndReadingsMonotone) {
  detail::CounterCell cell;
  MonotoneReader reader(cell);
  constexpr int kThreads = testing_::kThreads;
  testing_::run_threads(kThreads, [&](int index) {
    // Amounts 1..3 differ per thread: a lost or doubled addition shows in the total.
    for (int i = 0; i < testing_::kIterations; ++i) cell.add_whole(1 + index % 3);
  });
  EXPECT_EQ(reader.stop(), 0);
  std::uint64_t expected = 0;
  for (int index = 0; index < kThreads; ++index) {
    expected += static_cast<std::uint64_t>(testing_::kIterations) * (1 + index % 3);
  }
  EXPECT_EQ(exact(cell), expected);
}

TEST(CounterCell, OwnerSlotPassesToTheNextThreadWithoutLosingCounts) {
  detail::CounterCell cell;
  MonotoneReader reader(cell);
  constexpr int kGenerations = 200;  // more than any machine's slots: slots are reused
  constexpr int kPerThread = 1000;
  for (int generation = 0; generation < kGenerations; ++generation) {
    // Each thread exits before the next starts: the first one's slot is the owner's, and every
    // later generation takes it over (the lowest free slot) and continues the owner's word.
    std::thread([&] {
      for (int i = 0; i < kPerThread; ++i) cell.add_whole(1);
    }).join();
  }
  // Two generations at once, repeatedly: one continues the owner's word, the other counts
  // beside it.
  for (int generation = 0; generation < 20; ++generation) {
    testing_::run_threads(2, [&](int) {
      for (int i = 0; i < kPerThread; ++i) cell.add_whole(1);
    });
  }
  EXPECT_EQ(reader.stop(), 0);
  EXPECT_EQ(exact(cell), std::uint64_t{kGenerations + 40} * kPerThread);
}

TEST(CounterCell, MoreThreadsThanSlotsAllCount) {
  detail::CounterCell cell;
  const int many = detail::thread_slot_count() + 8;  // some threads get no slot
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int index = 0; index < many; ++index) {
    threads.emplace_back([&] {
      started.fetch_add(1);
      while (started.load() < many) std::this_thread::yield();
      for (int i = 0; i < 3000; ++i) cell.add_whole(1);
      finished.fetch_add(1);
      // Hold the slot until every thread has recorded, so that slots run out.
      while (finished.load() < many) std::this_thread::yield();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(exact(cell), std::uint64_t(many) * 3000);
}

TEST(CounterCell, AdditionsThatWouldCarryPast2To64GoToTheDoublePartOnEveryPath) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  constexpr double k2To64 = 18446744073709551616.0;
  {  // the owner's word
    detail::CounterCell cell;
    cell.add_whole(kMax);
    cell.add_whole(2);
    EXPECT_EQ(exact(cell), kMax);
    EXPECT_EQ(cell.fraction(), 2.0);
  }
  {  // another thread's amount too large for the route word: straight to its stripe
    detail::CounterCell cell;
    cell.add_whole(1);
    std::thread([&] {
      cell.add_whole(std::uint64_t{1} << 60);
      cell.add_whole(kMax);  // its stripe would carry
    }).join();
    std::uint64_t total = 0;
    EXPECT_TRUE(cell.whole(total));
    EXPECT_EQ(total, (std::uint64_t{1} << 60) + 1);
    EXPECT_EQ(cell.fraction(), static_cast<double>(kMax));
    EXPECT_EQ(cell.value(), static_cast<double>((std::uint64_t{1} << 60) + 1) + k2To64);
  }
  {  // parts that fit alone but not together: whole() says so, the value is still right
    detail::CounterCell cell;
    cell.add_whole(kMax - 1);
    std::thread([&] { cell.add_whole(kMax - 1); }).join();
    std::uint64_t total = 0;
    EXPECT_FALSE(cell.whole(total));
    EXPECT_EQ(cell.fraction(), 0.0);
    EXPECT_EQ(cell.whole_as_double(), 2 * k2To64);
  }
}
