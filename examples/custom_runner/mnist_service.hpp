// The guide's service in C++: an API endpoint `predict` in front of a custom MNIST runner with
// adaptive batching (max_batch_size 50, max_latency_ms 600). The runner times each inference
// call into the guide's `inference_duration{torch_version, device_id}` histogram; the service
// records BentoML's built-in metrics through bentoml::metrics::ServiceMetrics. The transports
// (HTTP in http_main.cpp, gRPC in grpc_main.cpp) wrap predict() in the API endpoint's scope.
#pragma once

#include <bentoml/metrics/bentoml_service.hpp>
#include <bentoml/metrics/histogram.hpp>

#include <string>
#include <string_view>

#include "adaptive_batcher.hpp"
#include "mnist_model.hpp"

namespace custom_runner {

inline constexpr const char* kServiceName = "pytorch_mnist";
inline constexpr const char* kRunnerName = "mnist_runner";

class MnistService {
 public:
  struct Prediction {
    int status;        ///< HTTP status: 200, or 400 for an image that cannot be decoded
    std::string body;  ///< JSON: `[7]` or `{"error": "..."}`
    int label;         ///< the class, or -1
  };

  /// `api_endpoint` is "/predict" for HTTP and the API name "predict" for gRPC.
  MnistService(bentoml::metrics::BentoTransport transport, std::string_view api_endpoint);

  /// Decodes one image and classifies it through the batching runner (blocking until its batch
  /// ran). Throws if the runner fails.
  Prediction predict(std::string_view image);

  /// The API endpoint's built-in metrics, for the transport to wrap each request in.
  bentoml::metrics::EndpointMetrics& api() { return api_; }

 private:
  bentoml::metrics::ServiceMetrics metrics_;
  bentoml::metrics::Histogram inference_duration_;
  MnistClassifier model_;
  const std::string torch_version_ = "none";  // no torch here: the model is plain C++
  const std::string device_id_ = "cpu";
  bentoml::metrics::EndpointMetrics& api_;
  bentoml::metrics::EndpointMetrics& runner_;
  AdaptiveBatcher batcher_;
};

}  // namespace custom_runner
