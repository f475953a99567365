// custom_runner_grpc: the same MNIST service over gRPC, as `bentoml serve-grpc` serves it:
//
//   gRPC  bentoml.grpc.v1alpha1.BentoService/Call on --port (3000): api_name "predict", the image
//         in `file.content` (784 raw bytes or a PGM); the class comes back in `ndarray`
//   HTTP  GET /metrics on --metrics-port (3001)
//
// Flags: --port N, --metrics-port N, --address A (127.0.0.1), --load N (send N requests a second
// to itself over gRPC), --seconds N (stop after N seconds; default: at Ctrl-C).
#include <bentoml_service.grpc.pb.h>
#include <grpcpp/grpcpp.h>
#include <bentoml/metrics/http_server.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "load_generator.hpp"
#include "mnist_service.hpp"
#include "options.hpp"

namespace metrics = bentoml::metrics;
namespace pb = bentoml::grpc::v1alpha1;
using custom_runner::MnistService;

namespace {

::grpc::StatusCode grpc_code_for(int http_status) {
  switch (http_status) {
    case 200:
      return ::grpc::StatusCode::OK;
    case 400:
      return ::grpc::StatusCode::INVALID_ARGUMENT;
    case 404:
      return ::grpc::StatusCode::NOT_FOUND;
    default:
      return ::grpc::StatusCode::INTERNAL;
  }
}

class BentoService final : public pb::BentoService::Service {
 public:
  explicit BentoService(MnistService& service) : service_(service) {}

  ::grpc::Status Call(::grpc::ServerContext*, const pb::Request* request,
                      pb::Response* response) override {
    // Every call is one request of BentoML's API metrics (labelled with the API name).
    metrics::RequestScope scope = service_.api().start();
    ::grpc::StatusCode code = ::grpc::StatusCode::OK;
    std::string message;
    if (request->api_name() != "predict") {
      code = ::grpc::StatusCode::NOT_FOUND;
      message = "no API named '" + request->api_name() + "'; this service has 'predict'";
    } else {
      try {
        const MnistService::Prediction prediction = service_.predict(request->file().content());
        code = grpc_code_for(prediction.status);
        if (code == ::grpc::StatusCode::OK) {
          pb::NDArray* array = response->mutable_ndarray();
          array->set_dtype(pb::NDArray::DTYPE_INT32);
          array->add_shape(1);
          array->add_int32_values(prediction.label);
        } else {
          message = prediction.body;
        }
      } catch (const std::exception&) {
        code = ::grpc::StatusCode::INTERNAL;
        message = "the runner failed";
      }
    }
    scope.set_status(metrics::http_status_from_grpc(static_cast<int>(code)));
    return {code, message};
  }

 private:
  MnistService& service_;
};

}  // namespace

int main(int argc, char** argv) {
  const custom_runner::CommandLine line = custom_runner::parse_command_line(argc, argv, true);
  // BentoML's gRPC server labels its API series with the API name.
  MnistService service(metrics::BentoTransport::grpc, "predict");

  // /metrics on the side port, as `bentoml serve-grpc` does.
  metrics::Exposer::Options exposer_options;
  exposer_options.listen = {line.address + ":" + std::to_string(line.metrics_port)};
  metrics::Exposer exposer(exposer_options);

  BentoService bento_service(service);
  int port = 0;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort(line.address + ":" + std::to_string(line.port),
                           ::grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&bento_service);
  std::unique_ptr<::grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "custom_runner_grpc: cannot listen on %s:%d\n", line.address.c_str(),
                 line.port);
    return 1;
  }

  const std::string target = line.address + ":" + std::to_string(port);
  std::printf("custom_runner_grpc: serving %s (Ctrl-C to stop)\n", custom_runner::kServiceName);
  std::printf("  metrics: http://%s:%d/metrics\n", line.address.c_str(), exposer.port());
  std::printf(
      "  predict: grpc://%s   (bentoml.grpc.v1alpha1.BentoService/Call, api_name "
      "\"predict\")\n",
      target.c_str());
  if (line.load > 0) std::printf("  load:    %g requests/s over gRPC\n", line.load);
  std::fflush(stdout);

  std::unique_ptr<custom_runner::LoadGenerator> load;
  if (line.load > 0) {
    auto stub =
        std::shared_ptr<pb::BentoService::Stub>(pb::BentoService::NewStub(::grpc::CreateChannel(
            "127.0.0.1:" + std::to_string(port), ::grpc::InsecureChannelCredentials())));
    load =
        std::make_unique<custom_runner::LoadGenerator>(line.load, [stub](const std::string& body) {
          pb::Request request;
          request.set_api_name("predict");
          request.mutable_file()->set_content(body);
          pb::Response response;
          ::grpc::ClientContext context;
          const ::grpc::Status status = stub->Call(&context, request, &response);
          return metrics::http_status_from_grpc(static_cast<int>(status.error_code()));
        });
  }
  custom_runner::wait_for_stop(line.seconds);
  load.reset();
  server->Shutdown();
  std::printf("custom_runner_grpc: stopped\n");
  return 0;
}
