#include "options.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace custom_runner {

namespace {

std::atomic<bool> stop_requested{false};
void on_signal(int) { stop_requested = true; }

[[noreturn]] void usage(const char* program, bool grpc, int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: %s [--port N] [--address A]%s [--load REQUESTS_PER_SECOND] "
               "[--seconds N]\n",
               program, grpc ? " [--metrics-port N]" : "");
  std::exit(status);
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv, bool grpc) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage(argv[0], grpc, 0);
    if (i + 1 >= argc) usage(argv[0], grpc, 2);
    const char* value = argv[++i];
    char* end = nullptr;
    if (flag == "--address") {
      line.address = value;
      continue;
    }
    const double number = std::strtod(value, &end);
    if (end == value || *end != '\0' || number < 0) usage(argv[0], grpc, 2);
    if (flag == "--port") {
      line.port = static_cast<int>(number);
    } else if (flag == "--metrics-port" && grpc) {
      line.metrics_port = static_cast<int>(number);
    } else if (flag == "--load") {
      line.load = number;
    } else if (flag == "--seconds") {
      line.seconds = number;
    } else {
      usage(argv[0], grpc, 2);
    }
  }
  return line;
}

void wait_for_stop(double seconds) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto start = std::chrono::steady_clock::now();
  while (!stop_requested) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (seconds > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(seconds)) {
      break;
    }
  }
}

}  // namespace custom_runner
