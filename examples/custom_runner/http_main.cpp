// custom_runner: the guide's MNIST service over HTTP, on one CivetWeb server:
//
//   POST /predict   a 28x28 image (784 raw bytes, or a PGM file) -> `[7]` (the class, as JSON)
//   GET  /metrics   Prometheus exposition (bentoml::metrics::MetricsHandler)
//
// `bentoml serve-http` in C++. Flags: --port N (3000), --address A (127.0.0.1), --load N (send N
// requests a second to itself), --seconds N (stop after N seconds; default: at Ctrl-C).
#include <CivetServer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bentoml/metrics/civetweb_handler.hpp>
#include <bentoml/metrics/exposition.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "load_generator.hpp"
#include "mnist_service.hpp"
#include "options.hpp"

namespace metrics = bentoml::metrics;
using custom_runner::MnistService;

namespace {

constexpr long long kMaxBody = 1 << 20;

void respond(mg_connection* connection, int status, const std::string& body,
             const char* extra_headers = "") {
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
            "%sConnection: close\r\n\r\n",
            status, mg_get_response_code_text(connection, status), body.size(), extra_headers);
  mg_write(connection, body.data(), body.size());
}

/// POST /predict. Every request, whatever its outcome, is one request in BentoML's API metrics.
class PredictHandler : public CivetHandler {
 public:
  explicit PredictHandler(MnistService& service) : service_(service) {}

  bool handlePost(CivetServer*, mg_connection* connection) override {
    metrics::RequestScope scope = service_.api().start();
    const mg_request_info* request = mg_get_request_info(connection);
    if (request->content_length > kMaxBody) {
      scope.set_status(413);
      respond(connection, 413, "{\"error\": \"the image is too large\"}");
      return true;
    }
    std::string body;
    char buffer[8192];
    for (int got; (got = mg_read(connection, buffer, sizeof buffer)) > 0;) {
      body.append(buffer, static_cast<std::size_t>(got));
      if (static_cast<long long>(body.size()) > kMaxBody) break;
    }
    try {
      const MnistService::Prediction prediction = service_.predict(body);
      scope.set_status(prediction.status);
      respond(connection, prediction.status, prediction.body);
    } catch (const std::exception&) {
      scope.set_status(500);
      respond(connection, 500, std::string("{\"error\": \"the runner failed\"}"));
    }
    return true;
  }

  bool handleGet(CivetServer*, mg_connection* connection) override {
    metrics::RequestScope scope = service_.api().start();
    scope.set_status(405);
    respond(connection, 405, "{\"error\": \"POST an image to /predict\"}", "Allow: POST\r\n");
    return true;
  }

 private:
  MnistService& service_;
};

/// The load generator's client: one HTTP/1.0 POST /predict on loopback; returns the status.
int post_predict(int port, const std::string& body) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request =
        "POST /predict HTTP/1.0\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string response;
      char buffer[1024];
      for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) {
        response.append(buffer, static_cast<std::size_t>(got));
      }
      if (response.size() > 12) status = std::atoi(response.c_str() + 9);
    }
  }
  close(fd);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const custom_runner::CommandLine line = custom_runner::parse_command_line(argc, argv, false);
  MnistService service(metrics::BentoTransport::http, "/predict");

  // No document_root: this server serves /predict and /metrics and nothing else.
  const std::vector<std::string> options = {
      "listening_ports",    line.address + ":" + std::to_string(line.port),
      "num_threads",        "96",
      "request_timeout_ms", "10000"};
  std::unique_ptr<CivetServer> server;
  try {
    server = std::make_unique<CivetServer>(options);
  } catch (const CivetException& error) {
    std::fprintf(stderr, "custom_runner: cannot listen on %s:%d: %s\n", line.address.c_str(),
                 line.port, error.what());
    return 1;
  }
  PredictHandler predict(service);
  metrics::MetricsHandler metrics_handler;  // the default registry: everything above
  server->addHandler("/predict", predict);
  server->addHandler("/metrics", metrics_handler);
  const int port = server->getListeningPorts().at(0);

  const std::string base = "http://" + line.address + ":" + std::to_string(port);
  std::printf("custom_runner: serving %s (Ctrl-C to stop)\n", custom_runner::kServiceName);
  std::printf("  metrics: %s/metrics\n", base.c_str());
  std::printf(
      "  predict: %s/predict   (curl -X POST --data-binary @examples/custom_runner/"
      "digit.pgm %s/predict)\n",
      base.c_str(), base.c_str());
  if (line.load > 0) std::printf("  load:    %g requests/s to /predict\n", line.load);
  std::fflush(stdout);

  std::unique_ptr<custom_runner::LoadGenerator> load;
  if (line.load > 0) {
    load = std::make_unique<custom_runner::LoadGenerator>(
        line.load, [port](const std::string& body) { return post_predict(port, body); });
  }
  custom_runner::wait_for_stop(line.seconds);
  load.reset();
  server->close();
  // The final exposition, so that a run ends with what it recorded (the README's demo command
  // is checked against it).
  std::printf("custom_runner: stopped; final metrics:\n%s",
              bentoml::metrics::generate_latest().c_str());
  return 0;
}
