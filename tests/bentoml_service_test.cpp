#include "bentoml/metrics/bentoml_service.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::lines_starting_with;
using metrics::testing::sample_value;

namespace {

class ServiceMetrics : public ::testing::Test {
 protected:
  void SetUp() override { metrics::disable_created_metrics(); }
  void TearDown() override { metrics::enable_created_metrics(); }
  std::string scrape() const { return metrics::generate_latest(registry); }
  metrics::Registry registry;
};

using Options = metrics::ServiceMetrics::Options;

Options options_for(metrics::Registry& registry) {
  Options options;
  options.service_name = "pytorch_mnist";
  options.service_version = "v1";
  options.registry = &registry;
  return options;
}

/// The `le` values of `family`'s buckets for the series whose labels start with `labels`.
std::vector<std::string> bucket_bounds(const std::string& text, const std::string& family) {
  std::vector<std::string> bounds;
  std::size_t at = 0;
  const std::string prefix = family + "_bucket{";
  while ((at = text.find(prefix, at)) != std::string::npos) {
    const std::size_t le = text.find("le=\"", at) + 4;
    bounds.push_back(text.substr(le, text.find('"', le) - le));
    const std::size_t end = text.find('\n', at);
    at = end;
  }
  return bounds;
}

std::string error_of(const Options& options) {
  try {
    metrics::ServiceMetrics service(options);
  } catch (const metrics::Error& error) {
    return error.what();
  }
  return "no exception";
}

}  // namespace

TEST_F(ServiceMetrics, ServiceNamespaceNamesTypesAndLabels) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& predict = service.api_endpoint("/predict");
  { auto scope = predict.start(); }
  auto& runner = service.runner_endpoint("mnist_runner", "/");
  {
    auto scope = runner.start();
    scope.set_status(503);
  }
  service.adaptive_batch_size("mnist_runner", "__call__").observe(3);

  const std::string text = scrape();
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_service_request_total counter")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_service_request_in_progress gauge"));
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_service_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_service_adaptive_batch_size histogram"));
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"200\",runner_name=\"pytorch_mnist\","
                         "service_name=\"pytorch_mnist\",service_version=\"v1\"}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/\","
                         "http_response_code=\"503\",runner_name=\"mnist_runner\","
                         "service_name=\"pytorch_mnist\",service_version=\"v1\"}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_in_progress{endpoint=\"/predict\","
                         "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\"}"),
            0);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_duration_seconds_count{"
                         "endpoint=\"/predict\",http_response_code=\"200\","
                         "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\"}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_adaptive_batch_size_sum{method_name=\"__call__\","
                         "runner_name=\"mnist_runner\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\",worker_index=\"0\"}"),
            3);
  EXPECT_EQ(text.find("bentoml_api_server"), std::string::npos);
  EXPECT_EQ(text.find("bentoml_runner"), std::string::npos);
  EXPECT_EQ(service.api_request_total_name(), "bentoml_service_request");
  EXPECT_EQ(service.runner_request_total_name(), "bentoml_service_request");
  EXPECT_EQ(service.adaptive_batch_size_name(), "bentoml_service_adaptive_batch_size");
}

TEST_F(ServiceMetrics, ApiServerAndRunnerNamespacesOfBentoML10) {
  Options options = options_for(registry);
  options.metric_namespace = metrics::BentoNamespace::api_server_and_runner;
  metrics::ServiceMetrics service(options);
  { auto scope = service.api_endpoint("/predict").start(); }
  { auto scope = service.runner_endpoint("mnist_runner", "/").start(); }
  service.adaptive_batch_size("mnist_runner", "__call__", 2).observe(50);

  const std::string text = scrape();
  // API server series have no runner_name; runner series do.
  EXPECT_EQ(sample_value(text,
                         "bentoml_api_server_request_total{endpoint=\"/predict\","
                         "http_response_code=\"200\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\"}"),
            1)
      << text;
  EXPECT_EQ(sample_value(text,
                         "bentoml_api_server_request_in_progress{endpoint=\"/predict\","
                         "service_name=\"pytorch_mnist\",service_version=\"v1\"}"),
            0);
  EXPECT_EQ(sample_value(text,
                         "bentoml_runner_request_total{endpoint=\"/\","
                         "http_response_code=\"200\",runner_name=\"mnist_runner\","
                         "service_name=\"pytorch_mnist\",service_version=\"v1\"}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_runner_request_in_progress{endpoint=\"/\","
                         "runner_name=\"mnist_runner\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\"}"),
            0);
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_api_server_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "# TYPE bentoml_runner_request_duration_seconds histogram"));
  EXPECT_EQ(sample_value(text,
                         "bentoml_runner_adaptive_batch_size_count{method_name=\"__call__\","
                         "runner_name=\"mnist_runner\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\",worker_index=\"2\"}"),
            1);
  EXPECT_EQ(text.find("bentoml_service"), std::string::npos);
  EXPECT_EQ(service.api_request_total_name(), "bentoml_api_server_request");
  EXPECT_EQ(service.runner_request_total_name(), "bentoml_runner_request");
}

TEST_F(ServiceMetrics, GrpcApiSeriesAreLabelledApiNameInBentoML10) {
  Options options = options_for(registry);
  options.metric_namespace = metrics::BentoNamespace::api_server_and_runner;
  options.transport = metrics::BentoTransport::grpc;
  metrics::ServiceMetrics service(options);
  service.api_endpoint("predict").record(metrics::http_status_from_grpc(3), 0.01);
  EXPECT_EQ(sample_value(scrape(),
                         "bentoml_api_server_request_total{api_name=\"predict\","
                         "http_response_code=\"400\",service_name=\"pytorch_mnist\","
                         "service_version=\"v1\"}"),
            1)
      << scrape();
}

TEST_F(ServiceMetrics, DurationBucketsPrometheusDefaults) {
  metrics::ServiceMetrics service(options_for(registry));
  service.api_endpoint("/predict").record(200, 0.02);
  EXPECT_EQ(bucket_bounds(scrape(), "bentoml_service_request_duration_seconds"),
            (std::vector<std::string>{"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
                                      "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"}));
}

TEST_F(ServiceMetrics, DurationBucketsMinMaxFactorAsBentoMLsGuide) {
  Options options = options_for(registry);
  options.duration.min = 0.1;
  options.duration.max = 5.0;
  options.duration.factor = 2.0;
  metrics::ServiceMetrics service(options);
  service.api_endpoint("/predict").record(200, 0.3);
  EXPECT_EQ(bucket_bounds(scrape(), "bentoml_service_request_duration_seconds"),
            (std::vector<std::string>{"0.1", "0.2", "0.4", "0.8", "1.6", "3.2", "5.0", "+Inf"}));
  EXPECT_EQ(service.duration_buckets().size(), 8u);
}

TEST_F(ServiceMetrics, DurationBucketsExplicitList) {
  Options options = options_for(registry);
  options.duration.buckets = {0.5, 1, 2};
  metrics::ServiceMetrics service(options);
  service.runner_endpoint("r", "/").record(200, 0.3);
  EXPECT_EQ(bucket_bounds(scrape(), "bentoml_service_request_duration_seconds"),
            (std::vector<std::string>{"0.5", "1.0", "2.0", "+Inf"}));
}

TEST_F(ServiceMetrics, InvalidConfigurationsThrow) {
  Options both = options_for(registry);
  both.duration.min = 0.1;
  both.duration.buckets = {1};
  EXPECT_TRUE(contains(error_of(both), "either buckets or min/max/factor")) << error_of(both);
  Options bad = options_for(registry);
  bad.duration.min = 1;
  bad.duration.max = 0.5;
  bad.duration.factor = 2;
  EXPECT_TRUE(contains(error_of(bad), "0 < min < max")) << error_of(bad);
  Options unnamed = options_for(registry);
  unnamed.service_name.clear();
  EXPECT_TRUE(contains(error_of(unnamed), "service_name")) << error_of(unnamed);
  Options no_batch = options_for(registry);
  no_batch.max_batch_size = 0;
  EXPECT_TRUE(contains(error_of(no_batch), "max_batch_size")) << error_of(no_batch);
}

TEST_F(ServiceMetrics, AdaptiveBatchSizeBucketsFollowMaxBatchSize) {
  Options options = options_for(registry);
  options.max_batch_size = 50;
  metrics::ServiceMetrics service(options);
  auto batch = service.adaptive_batch_size("mnist_runner", "__call__");
  for (double size : {1, 3, 50}) batch.observe(size);
  const std::string text = scrape();
  EXPECT_EQ(bucket_bounds(text, "bentoml_service_adaptive_batch_size"),
            (std::vector<std::string>{"1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "50.0", "+Inf"}));
  const std::string labels =
      "method_name=\"__call__\",runner_name=\"mnist_runner\",service_name=\"pytorch_mnist\","
      "service_version=\"v1\",worker_index=\"0\"";
  EXPECT_EQ(
      sample_value(text, "bentoml_service_adaptive_batch_size_bucket{le=\"1.0\"," + labels + "}"),
      1);
  EXPECT_EQ(
      sample_value(text, "bentoml_service_adaptive_batch_size_bucket{le=\"4.0\"," + labels + "}"),
      2);
  EXPECT_EQ(sample_value(text, "bentoml_service_adaptive_batch_size_sum{" + labels + "}"), 54);
  // BentoML's default max_batch_size (no batchable method): 100.
  metrics::Registry other;
  Options defaults = options_for(other);
  metrics::ServiceMetrics default_service(defaults);
  default_service.adaptive_batch_size("r", "m").observe(1);
  EXPECT_EQ(
      bucket_bounds(metrics::generate_latest(other), "bentoml_service_adaptive_batch_size").at(7),
      "100.0");
}

TEST_F(ServiceMetrics, ScopeCountsInProgressAndTheStatusSetBeforeItEnds) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& predict = service.api_endpoint("/predict");
  EXPECT_EQ(&predict, &service.api_endpoint("/predict"));
  {
    auto first = predict.start();
    auto second = predict.start();
    EXPECT_EQ(predict.in_progress(), 2);
    second.set_status(400);
    EXPECT_EQ(second.status(), 400);
  }
  EXPECT_EQ(predict.in_progress(), 0);
  const std::string text = scrape();
  const std::string labels =
      "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\",service_version=\"v1\"";
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"200\"," +
                             labels + "}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"400\"," +
                             labels + "}"),
            1);
}

TEST_F(ServiceMetrics, AnExceptionCountsAs500AndEndsTheInProgressGauge) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& predict = service.api_endpoint("/predict");
  try {
    auto scope = predict.start();
    scope.set_status(200);  // set, but the scope ends by an exception
    EXPECT_EQ(predict.in_progress(), 1);
    throw std::runtime_error("model failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(predict.in_progress(), 0);
  // A scope that begins and ends inside a destructor run by unwinding is not an exception path.
  struct RecordsDuringUnwinding {
    metrics::EndpointMetrics* endpoint;
    ~RecordsDuringUnwinding() {
      auto scope = endpoint->start();
      scope.set_status(201);
    }
  };
  try {
    RecordsDuringUnwinding guard{&predict};
    throw std::runtime_error("unwinding");
  } catch (const std::runtime_error&) {
  }
  const std::string text = scrape();
  const std::string labels =
      "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\",service_version=\"v1\"";
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"500\"," +
                             labels + "}"),
            1)
      << text;
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"201\"," +
                             labels + "}"),
            1);
  EXPECT_EQ(lines_starting_with(text, "bentoml_service_request_total{"), 2);
}

TEST_F(ServiceMetrics, CallWrapsACallable) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& runner = service.runner_endpoint("mnist_runner", "/");
  EXPECT_EQ(runner.call([] { return 7; }), 7);
  EXPECT_EQ(runner.call([](metrics::RequestScope& scope) {
    scope.set_status(404);
    return std::string("missing");
  }),
            "missing");
  runner.call([] {});
  EXPECT_THROW(runner.call([]() -> int { throw std::logic_error("bad"); }), std::logic_error);
  EXPECT_EQ(runner.in_progress(), 0);
  const std::string text = scrape();
  const std::string labels =
      "runner_name=\"mnist_runner\",service_name=\"pytorch_mnist\",service_version=\"v1\"";
  for (const auto& [code, count] :
       std::vector<std::pair<std::string, double>>{{"200", 2}, {"404", 1}, {"500", 1}}) {
    EXPECT_EQ(sample_value(text,
                           "bentoml_service_request_total{endpoint=\"/\","
                           "http_response_code=\"" +
                               code + "\"," + labels + "}"),
              count)
        << code << "\n"
        << text;
  }
  // A callable returning a reference keeps it (decltype(auto)).
  int target = 0;
  int& same = runner.call([&]() -> int& { return target; });
  EXPECT_EQ(&same, &target);
}

TEST_F(ServiceMetrics, UncachedStatusCodesAndDurations) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& predict = service.api_endpoint("/predict");
  predict.record(999, 0.2);
  predict.record(42, 0.2);
  predict.record(200, 0.003);
  const std::string text = scrape();
  const std::string labels =
      "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\",service_version=\"v1\"";
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"999\"," +
                             labels + "}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"42\"," +
                             labels + "}"),
            1);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_duration_seconds_bucket{"
                         "endpoint=\"/predict\",http_response_code=\"200\",le=\"0.005\"," +
                             labels + "}"),
            1);
  EXPECT_NEAR(sample_value(text,
                           "bentoml_service_request_duration_seconds_sum{"
                           "endpoint=\"/predict\",http_response_code=\"999\"," +
                               labels + "}"),
              0.2, 1e-12);
}

TEST_F(ServiceMetrics, ThreadsRecordingTheSameEndpointCountExactly) {
  metrics::ServiceMetrics service(options_for(registry));
  auto& predict = service.api_endpoint("/predict");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        auto scope = predict.start();
        scope.set_status(i % 10 == 0 ? 500 + t : 200);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = scrape();
  const std::string labels =
      "runner_name=\"pytorch_mnist\",service_name=\"pytorch_mnist\",service_version=\"v1\"";
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"200\"," +
                             labels + "}"),
            36000);
  EXPECT_EQ(sample_value(text,
                         "bentoml_service_request_total{endpoint=\"/predict\","
                         "http_response_code=\"503\"," +
                             labels + "}"),
            1000);
  EXPECT_EQ(predict.in_progress(), 0);
}

TEST(ServiceMetricsGrpc, StatusMapping) {
  EXPECT_EQ(metrics::http_status_from_grpc(0), 200);
  EXPECT_EQ(metrics::http_status_from_grpc(3), 400);
  EXPECT_EQ(metrics::http_status_from_grpc(5), 404);
  EXPECT_EQ(metrics::http_status_from_grpc(13), 500);
  EXPECT_EQ(metrics::http_status_from_grpc(14), 503);
  EXPECT_EQ(metrics::http_status_from_grpc(77), 500);
}

// Two ServiceMetrics with the same options declare identical metrics: as for any identical
// re-declaration they share them (a strict registry throws instead, as Python does).
TEST(ServiceMetricsRegistration, TwoIdenticalServicesShareTheirMetrics) {
  metrics::Registry registry;
  Options options = options_for(registry);
  metrics::ServiceMetrics first(options);
  metrics::ServiceMetrics second(options);
  first.api_endpoint("/predict").record(200, 0.01);
  second.api_endpoint("/predict").record(200, 0.01);
  const std::string text = metrics::generate_latest(registry);
  std::size_t totals = 0;
  for (std::size_t at = text.find("_request_total{"); at != std::string::npos;
       at = text.find("_request_total{", at + 1)) {
    ++totals;
    EXPECT_EQ(text.compare(text.find(' ', at) + 1, 4, "2.0\n"), 0) << text.substr(at, 200);
  }
  EXPECT_EQ(totals, 1u) << text;

  metrics::Registry strict(metrics::Registry::Options{false});
  Options strict_options = options_for(strict);
  metrics::ServiceMetrics only(strict_options);
  EXPECT_THROW(metrics::ServiceMetrics again(strict_options), metrics::Error);
}
