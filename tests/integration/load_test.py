"""wrk hammers /metrics on loopback for a few seconds while two threads record.

Asserts that no request failed, that the threads were still recording while wrk scraped (the
scraped counter grows between wrk runs), and that every increment and observation is in the final
counter and histogram counts. The figures (requests/s, p99) are printed for the benchmark report,
not asserted.
"""
import os
import re
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, binary_from_env  # noqa: E402

THREADS = 2
RECORDED = re.compile(r'^requests_total\{code="recorded"\} (\S+)$', re.MULTILINE)


def wrk(port, *headers):
    command = ["wrk", "-t1", "-c4", "-d3s", "--timeout", "5s", "--latency"]
    for header in headers:
        command += ["-H", header]
    command.append(f"http://127.0.0.1:{port}/metrics")
    return subprocess.run(command, check=True, capture_output=True, text=True,
                          timeout=60).stdout


def scraped_count(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        match = RECORDED.search(response.read().decode())
    return float(match.group(1)) if match else 0.0


class LoadTest(unittest.TestCase):
    def test_scrapes_under_load_never_fail_or_lose_increments(self):
        with Server(binary_from_env(), "--record-threads", str(THREADS)) as server:
            seen = [scraped_count(server.port)]
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
                seen.append(scraped_count(server.port))
            output = server.close()
        self.assertTrue(seen[0] < seen[1] < seen[2], f"not recording while scraped: {seen}")
        operations = {device: int(count) for device, count in
                      re.findall(r"^operations (\S+) (\d+)$", output, re.MULTILINE)}
        self.assertEqual(len(operations), THREADS, output)
        final = dict(re.findall(r"^final (\S+) (\S+)$", output, re.MULTILINE))
        self.assertEqual(float(final['requests_total{code="recorded"}']),
                         sum(operations.values()), output)
        for device, count in operations.items():
            self.assertGreater(count, 0)
            sample = f'inference_duration_count{{device_id="{device}",torch_version="2.1.0"}}'
            self.assertEqual(float(final[sample]), count, output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
