#include "mnist_service.hpp"

#include <bentoml/metrics/buckets.hpp>

#include <chrono>
#include <utility>
#include <vector>

#include "image.hpp"

namespace metrics = bentoml::metrics;

namespace custom_runner {

namespace {

metrics::ServiceMetrics::Options service_options(metrics::BentoTransport transport) {
  metrics::ServiceMetrics::Options options;
  options.service_name = kServiceName;
  options.transport = transport;
  options.max_batch_size = 50;  // the runner's max_batch_size: adaptive batch size buckets
  return options;
}

metrics::Histogram::Options inference_duration_options() {
  // The guide's histogram, as written there.
  metrics::Histogram::Options options;
  options.name = "inference_duration";
  options.documentation = "Duration of inference";
  options.labelnames = {"torch_version", "device_id"};
  options.buckets = metrics::exponential_buckets(0.001, 1.5, 10.0);
  return options;
}

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

MnistService::MnistService(metrics::BentoTransport transport, std::string_view api_endpoint)
    : metrics_(service_options(transport)),
      inference_duration_(inference_duration_options()),
      api_(metrics_.api_endpoint(api_endpoint)),
      // BentoML routes a runner's __call__ method at "/".
      runner_(metrics_.runner_endpoint(kRunnerName, "/")),
      batcher_(
          AdaptiveBatcher::Options{50, 600}, MnistClassifier::kPixels,
          // The runnable's __call__, as in the guide: time the model, observe, return.
          [this](const std::vector<float>& images, int batch) {
            const auto start = std::chrono::steady_clock::now();
            std::vector<int> output = model_.predict(images, batch);
            inference_duration_.labels({torch_version_, device_id_})
                .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                             .count());
            return output;
          },
          metrics_.adaptive_batch_size(kRunnerName, "__call__")) {}

MnistService::Prediction MnistService::predict(std::string_view image) {
  std::string error;
  std::vector<float> pixels = decode_image(image, &error);
  if (pixels.empty()) return {400, "{\"error\": " + json_string(error) + "}", -1};
  // One runner request per API request, as BentoML's API server calls its runner.
  const int label = runner_.call([&] { return batcher_.submit(std::move(pixels)).get(); });
  return {200, "[" + std::to_string(label) + "]", label};
}

}  // namespace custom_runner
