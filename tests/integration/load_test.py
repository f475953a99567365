"""wrk hammers /metrics on loopback for a few seconds while two threads record.

Asserts that no request failed and that every recorded increment is in the final count. The
figures (requests/s, p99) are printed for the benchmark report, not asserted.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, binary_from_env  # noqa: E402

THREADS = 2
OPERATIONS = 3_000_000


def wrk(port, *headers):
    command = ["wrk", "-t1", "-c4", "-d3s", "--timeout", "5s", "--latency"]
    for header in headers:
        command += ["-H", header]
    command.append(f"http://127.0.0.1:{port}/metrics")
    return subprocess.run(command, check=True, capture_output=True, text=True,
                          timeout=60).stdout


class LoadTest(unittest.TestCase):
    def test_scrapes_under_load_never_fail_or_lose_increments(self):
        with Server(binary_from_env(), "--record-threads", str(THREADS),
                    "--record-ops", str(OPERATIONS)) as server:
            for name, headers in (("plain", ()), ("gzip", ("Accept-Encoding: gzip",))):
                report = wrk(server.port, *headers)
                requests = re.search(r"(\d+) requests in", report)
                self.assertIsNotNone(requests, report)
                self.assertGreater(int(requests.group(1)), 0)
                self.assertNotIn("Non-2xx or 3xx responses", report)
                self.assertNotIn("Socket errors", report)
                rate = re.search(r"Requests/sec:\s+([\d.]+)", report).group(1)
                p99 = re.search(r"99%\s+(\S+)", report).group(1)
                print(f"wrk {name}: {requests.group(1)} requests, {rate} requests/s, p99 {p99}")
            final = server.close()
        self.assertIn(f'final requests_total{{code="recorded"}} {THREADS * OPERATIONS}.0', final)


if __name__ == "__main__":
    unittest.main(verbosity=2)
