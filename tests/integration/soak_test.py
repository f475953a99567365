"""Soak: 10,000 series of all four types recorded by threads, children made and removed by
another, while wrk scrapes /metrics without pause (soak_server.cpp).

BENTOML_METRICS_SOAK_SECONDS sets the length (default 60; scripts/test.sh shortens it under
the sanitizers; longer by hand). Asserts: no failed request (non-2xx or socket error), exact
final totals (the sum over every series of each type equals what the threads recorded), and
resident memory at the end within SOAK_RSS_GROWTH_KB of the start and within
SOAK_RSS_LATE_GROWTH_KB of the warm figure a quarter in (nothing grows with time: the churned
children are bounded by their 1,000 label sets, scrape buffers by the worker threads).
Prints the figures for the README: requests served, failures, p50/p99, RSS start, warm, end.
"""
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import die_with_parent  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

SECONDS = int(os.environ.get("BENTOML_METRICS_SOAK_SECONDS", "60"))
# The 1,000 churned children (about 1 KB each with their label blocks) and a scrape buffer
# (text and gzip) per worker thread, with room for the allocator's rounding.
SOAK_RSS_GROWTH_KB = 64 * 1024
# Under a sanitizer (scripts/test.sh sets its options) memory is the sanitizer's: not asserted.
SANITIZED = any(name in os.environ for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
# Once warm, nothing may grow with time.
SOAK_RSS_LATE_GROWTH_KB = 8 * 1024


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def read_until(process, word):
    lines = []
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"soak_server ended before {word!r}: {lines}")
        lines.append(line.strip())
        if line.strip() == word or line.startswith(word + " "):
            return lines


class SoakTest(unittest.TestCase):
    def test_soak(self):
        process = subprocess.Popen([os.environ["SOAK_SERVER"], "--record-threads", "2"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                   preexec_fn=die_with_parent)
        try:
            port = int(read_until(process, "port")[-1].split()[1])
            rss_start = int(read_until(process, "rss_start")[-1].split()[1])
            wrk_process = subprocess.Popen(
                ["wrk", "-t2", "-c4", f"-d{SECONDS}s", "--timeout", "30s" if SANITIZED else "10s",
                 "--latency",
                 f"http://127.0.0.1:{port}/metrics"],
                stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
            rss_samples = []  # (seconds, KB) of the server, once a second while wrk runs
            started = time.monotonic()
            while wrk_process.poll() is None:
                rss_samples.append((time.monotonic() - started, rss_kb(process.pid)))
                time.sleep(1)
                if time.monotonic() - started > SECONDS + 120:
                    wrk_process.kill()
                    raise RuntimeError("wrk did not finish")
            wrk = wrk_process.communicate()[0]
            self.assertEqual(wrk_process.returncode, 0, wrk)
            process.stdin.write("stop\n")
            process.stdin.flush()
            report = dict(line.split(" ", 1) for line in read_until(process, "stopped")
                          if " " in line)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                        timeout=30) as response:
                scraped = response.read().decode()
        finally:
            if process.poll() is None:
                process.stdin.close()
                process.wait(timeout=60)
        requests = int(re.search(r"(\d+) requests in", wrk).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
        socket_errors = re.search(r"Socket errors: (.*)", wrk)
        p50 = re.search(r"50%\s+(\S+)", wrk).group(1)
        p99 = re.search(r"99%\s+(\S+)", wrk).group(1)
        rss_end = int(report["rss_end"])
        # Warm: a quarter in, every scrape buffer and per-thread shard exists by then.
        rss_warm = next(kb for at, kb in rss_samples if at >= SECONDS / 4)
        print(f"soak {SECONDS} s: {requests} scrapes of 10,000 series, "
              f"{0 if non_2xx is None else non_2xx.group(1)} non-2xx, socket errors: "
              f"{'none' if socket_errors is None else socket_errors.group(1)}, "
              f"p50 {p50}, p99 {p99}, RSS {rss_start} KB at start, {rss_warm} KB warm "
              f"({SECONDS // 4} s), {rss_end} KB at the end, "
              f"{report['churned']} children made and removed")
        self.assertGreater(requests, 0)
        self.assertIsNone(non_2xx, wrk)
        self.assertIsNone(socket_errors, wrk)
        totals = {}
        for family in text_string_to_metric_families(scraped):
            for sample in family.samples:
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        for key, value in report.items():
            if key.startswith("expect"):
                name, expected = value.split()
                self.assertEqual(totals.get(name), float(expected), name)
        if SANITIZED:
            return  # shadow memory and ASan's quarantine of freed blocks: not this library's
        self.assertLess(rss_end - rss_start, SOAK_RSS_GROWTH_KB,
                        f"RSS grew from {rss_start} KB to {rss_end} KB")
        self.assertLess(rss_end - rss_warm, SOAK_RSS_LATE_GROWTH_KB,
                        f"RSS still grew after warming up: {rss_warm} KB -> {rss_end} KB")


if __name__ == "__main__":
    unittest.main(verbosity=2)
