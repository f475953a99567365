#include "bentoml/metrics/count_exceptions.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {
struct NotStd {};
}  // namespace

TEST(CountExceptions, GuardCountsOnlyScopesLeftByAnException) {
  metrics::Registry registry;
  metrics::Counter failures{{.name = "failures", .documentation = "d", .registry = &registry}};
  { auto guard = failures.count_exceptions(); }
  EXPECT_EQ(failures.value(), 0);
  EXPECT_THROW(
      {
        auto guard = failures.count_exceptions();
        throw std::runtime_error("x");
      },
      std::runtime_error);
  EXPECT_EQ(failures.value(), 1);
  EXPECT_THROW(
      {
        auto guard = failures.count_exceptions();
        throw NotStd{};
      },
      NotStd);
  EXPECT_EQ(failures.value(), 2);
  // A guard made in a destructor during unwinding counts only its own scope's exceptions.
  struct Cleanup {
    metrics::Counter* counter;
    ~Cleanup() { auto guard = counter->count_exceptions(); }
  };
  EXPECT_THROW(
      {
        Cleanup cleanup{&failures};
        throw std::runtime_error("y");
      },
      std::runtime_error);
  EXPECT_EQ(failures.value(), 2);
  // An exception caught inside the scope does not leave it.
  {
    auto guard = failures.count_exceptions();
    try {
      throw std::runtime_error("caught");
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_EQ(failures.value(), 2);
}

TEST(CountExceptions, GuardOnALabelledChild) {
  metrics::Registry registry;
  metrics::Counter errors{
      {.name = "errors", .documentation = "d", .labelnames = {"op"}, .registry = &registry}};
  try {
    auto guard = errors.labels({"load"}).count_exceptions();
    throw std::logic_error("z");
  } catch (const std::logic_error&) {
  }
  EXPECT_EQ(errors.labels({"load"}).value(), 1);
  EXPECT_THROW((void)errors.count_exceptions(), metrics::Error);  // has labels, as in Python
}

TEST(CountExceptions, WrapperCountsAndRethrowsAndPassesResultsThrough) {
  metrics::Registry registry;
  metrics::Counter any{{.name = "any", .documentation = "d", .registry = &registry}};
  metrics::Counter typed{{.name = "typed", .documentation = "d", .registry = &registry}};
  auto add = any.count_exceptions([](int a, int b) { return a + b; });
  EXPECT_EQ(add(2, 3), 5);
  EXPECT_EQ(any.value(), 0);
  auto fail = any.count_exceptions([](const std::string& why) -> int {
    if (why == "std") throw std::runtime_error(why);
    if (why == "other") throw NotStd{};
    return 1;
  });
  EXPECT_EQ(fail("no"), 1);
  EXPECT_THROW(fail("std"), std::runtime_error);
  EXPECT_THROW(fail("other"), NotStd);
  EXPECT_EQ(any.value(), 2);
  // Only the given type (and its subclasses) is counted.
  auto only_runtime = typed.count_exceptions<std::runtime_error>([](int kind) {
    if (kind == 0) throw std::range_error("subclass");
    if (kind == 1) throw std::logic_error("other");
    throw NotStd{};
  });
  EXPECT_THROW(only_runtime(0), std::range_error);
  EXPECT_THROW(only_runtime(1), std::logic_error);
  EXPECT_THROW(only_runtime(2), NotStd);
  EXPECT_EQ(typed.value(), 1);
  // References pass through.
  int target = 0;
  auto reference = typed.count_exceptions([&target]() -> int& { return target; });
  reference() = 7;
  EXPECT_EQ(target, 7);
}
