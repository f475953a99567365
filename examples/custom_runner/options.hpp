// Command-line flags shared by the HTTP and gRPC servers.
#pragma once

#include <string>

namespace custom_runner {

struct CommandLine {
  std::string address = "127.0.0.1";  ///< --address (BentoML binds 0.0.0.0; we stay local)
  int port = 3000;                    ///< --port: the API port (0: any free port)
  int metrics_port = 3001;            ///< --metrics-port: gRPC only, /metrics on the side
  double load = 0;                    ///< --load N: built-in load generator, N requests/s
  double seconds = 0;                 ///< --seconds N: stop after N seconds (0: at Ctrl-C)
};

/// Parses argv; prints usage and exits on --help or a bad flag.
CommandLine parse_command_line(int argc, char** argv, bool grpc);

/// Blocks until SIGINT/SIGTERM, or until `seconds` passed when it is > 0.
void wait_for_stop(double seconds);

}  // namespace custom_runner
