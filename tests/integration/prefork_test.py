"""examples/prefork end to end: a parent forking 4 workers that answer HTTP requests on one
socket, one /metrics for all. Requests sent from several threads are counted exactly; a worker
killed with SIGKILL mid-way is replaced and marked dead (its live gauges leave the aggregate,
its counts stay); /usr/bin/python3's MultiProcessCollector reads the same directory and agrees.
PREFORK names the binary."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

PREFORK = os.environ["PREFORK"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def samples(text):
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


class Prefork(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="bentoml-metrics-prefork-")
        self.port = free_port()
        self.metrics_port = free_port()
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=self.directory)
        self.parent = subprocess.Popen(
            [PREFORK, "--workers", "4", "--port", str(self.port), "--metrics-port",
             str(self.metrics_port), "--seconds", "60"],
            env=env, stdout=subprocess.PIPE, text=True)
        self.assertIn("prefork: 4 workers", self.parent.stdout.readline())

    def tearDown(self):
        self.parent.send_signal(signal.SIGTERM)
        self.parent.wait(timeout=10)
        shutil.rmtree(self.directory)

    def workers(self):
        output = subprocess.run(["pgrep", "-P", str(self.parent.pid)], capture_output=True,
                                text=True).stdout
        return [int(pid) for pid in output.split()]

    def send(self, count, threads=4):
        def run(share):
            for _ in range(share):
                status, body = get(f"http://127.0.0.1:{self.port}/predict")
                self.assertEqual((status, body), (200, "ok\n"))
        pool = [threading.Thread(target=run, args=(count // threads,)) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

    def test_exact_counts_across_workers_a_killed_worker_and_python(self):
        self.send(200)
        self.assertEqual(get(f"http://127.0.0.1:{self.port}/nope")[0], 404)
        victim = self.workers()[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (victim in self.workers() or len(self.workers()) < 4) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        self.send(200)
        status, text = get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self.assertEqual(status, 200)
        ours = samples(text)
        self.assertEqual(ours[("prefork_requests_total",
                               (("code", "200"), ("path", "/predict")))], 400.0)
        self.assertEqual(ours[("prefork_requests_total", (("code", "404"), ("path", "other")))],
                         1.0)
        self.assertEqual(ours[("prefork_request_duration_seconds_count",
                               (("path", "/predict"),))], 400.0)
        self.assertEqual(ours[("prefork_in_progress", ())], 0.0)
        self.assertEqual(ours[("prefork_worker_restarts_total", ())], 1.0)
        live = sorted(int(dict(labels)["pid"]) for (name, labels) in ours
                      if name == "prefork_worker_started_time_seconds")
        self.assertEqual(live, sorted(self.workers()))  # the killed one is gone
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.directory)
        theirs = samples(generate_latest(registry).decode())
        self.assertEqual(theirs.keys(), ours.keys())
        for key, value in ours.items():  # sums of durations may round differently by order
            self.assertAlmostEqual(theirs[key], value, places=9, msg=str(key))


if __name__ == "__main__":
    unittest.main(verbosity=2)
