"""A real Prometheus server (Debian's /usr/bin/prometheus) scrapes test_server on loopback.

Checks what the BentoML guide promises: `up` is 1 and
`histogram_quantile(0.95, rate(inference_duration_bucket[1m]))` answers from the scraped data,
and the exemplars of the OpenMetrics exposition reach Prometheus.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import (Server, binary_from_env, die_with_parent, free_port,  # noqa: E402
                            wait_until)

CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bentoml
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


class PrometheusScrapeTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="bentoml-metrics-prometheus-")
        self.server = Server(binary_from_env(), "--workload")
        config = os.path.join(self.directory, "prometheus.yml")
        with open(config, "w") as out:
            out.write(CONFIG.format(port=self.server.port))
        self.prometheus_port = free_port()
        self.log = open(os.path.join(self.directory, "prometheus.log"), "w")
        self.prometheus = subprocess.Popen(
            ["/usr/bin/prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.directory, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
             "--enable-feature=exemplar-storage"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

    def tearDown(self):
        self.prometheus.terminate()
        try:
            self.prometheus.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.prometheus.kill()
        self.log.close()
        self.server.close()
        self.server.__exit__()
        shutil.rmtree(self.directory, ignore_errors=True)

    def api(self, endpoint, **params):
        url = (f"http://127.0.0.1:{self.prometheus_port}/api/v1/{endpoint}?"
               + urllib.parse.urlencode(params))
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            return None

    def query(self, expression):
        answer = self.api("query", query=expression)
        if not answer or answer.get("status") != "success":
            return None
        return answer["data"]["result"]

    def scalar(self, expression):
        result = self.query(expression)
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if math.isnan(value) else value

    def test_up_and_the_guides_p95_query(self):
        up = wait_until(lambda: self.scalar('up{job="bentoml"}'), timeout=60)
        self.assertEqual(up, 1.0, self.prometheus_log())
        p95 = wait_until(
            lambda: self.scalar(
                'histogram_quantile(0.95, rate(inference_duration_bucket{device_id="cuda:0"}[1m]))'),
            timeout=60)
        self.assertIsNotNone(p95, self.prometheus_log())
        # The workload draws log-normal latencies around 20 ms: the p95 is in the tens of ms.
        self.assertGreater(p95, 0.005)
        self.assertLess(p95, 1.0)
        self.assertEqual(self.scalar("temperature_celsius"), 21.5)
        count_rate = self.scalar('rate(inference_duration_count{device_id="cuda:0"}[1m])')
        self.assertGreater(count_rate, 100)  # the workload observes about 10,000 a second
        # Prometheus asked for OpenMetrics, so it stored the exemplars too.
        now = time.time()
        answer = self.api("query_exemplars", query="requests_total", start=now - 600, end=now)
        labels = [e["labels"] for series in answer["data"] for e in series["exemplars"]]
        self.assertIn({"trace_id": "def456"}, labels)

    def prometheus_log(self):
        self.log.flush()
        with open(self.log.name) as log:
            return log.read()[-3000:]


if __name__ == "__main__":
    unittest.main(verbosity=2)
