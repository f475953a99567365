"""examples/custom_runner/grafana-dashboard.json is an importable Grafana dashboard whose every
query parses (promtool check rules on a rule file made of them) and names only metrics that the
example service exposes."""
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard  # noqa: E402
from server_process import die_with_parent, free_port, wait_until  # noqa: E402


class GrafanaDashboardTest(unittest.TestCase):
    def setUp(self):
        self.dashboard = dashboard.load()

    def test_json_model_with_a_prometheus_data_source_variable(self):
        variables = self.dashboard["templating"]["list"]
        sources = [v for v in variables if v["type"] == "datasource"]
        self.assertEqual([(v["name"], v["query"]) for v in sources],
                         [("DS_PROMETHEUS", "prometheus")])
        self.assertTrue(self.dashboard["title"])
        self.assertTrue(self.dashboard["panels"])
        for panel in self.dashboard["panels"]:
            self.assertEqual(panel["datasource"], {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                             panel["title"])
            self.assertTrue(panel["targets"], panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"]["uid"], "${DS_PROMETHEUS}")
        kinds = {panel["type"] for panel in self.dashboard["panels"]}
        self.assertIn("heatmap", kinds)
        heatmap = [p for p in self.dashboard["panels"] if p["type"] == "heatmap"][0]
        self.assertEqual(heatmap["targets"][0]["format"], "heatmap")
        self.assertIn("_bucket", heatmap["targets"][0]["expr"])
        titles = " ".join(panel["title"] for panel in self.dashboard["panels"])
        for subject in ("p50 / p95 / p99", "Request rate by status code", "Error ratio",
                        "in progress", "batch size distribution"):
            self.assertIn(subject, titles)

    def test_every_query_parses(self):
        with tempfile.TemporaryDirectory(prefix="bentoml-metrics-dashboard-") as directory:
            rules = os.path.join(directory, "dashboard.rules.yml")
            with open(rules, "w") as out:
                out.write("groups:\n  - name: grafana_dashboard\n    rules:\n")
                for index, (_, expression) in enumerate(dashboard.expressions(self.dashboard)):
                    quoted = expression.replace("'", "''")
                    out.write(f"      - record: dashboard:query_{index}\n"
                              f"        expr: '{quoted}'\n")
            result = subprocess.run(["promtool", "check", "rules", rules],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            count = len(dashboard.expressions(self.dashboard))
            self.assertIn(f"SUCCESS: {count} rules found", result.stdout)

    def test_every_metric_named_is_exposed_by_the_example(self):
        exposition = self.exposition_under_load()
        exposed = dashboard.sample_names(exposition)
        named = set()
        for title, expression in dashboard.expressions(self.dashboard):
            names = dashboard.metric_names(expression)
            self.assertTrue(names, f"{title}: no metric in {expression}")
            named |= names
        self.assertEqual(named - exposed, set(), exposition[-3000:])
        self.assertIn("inference_duration_bucket", named)
        self.assertIn("bentoml_service_adaptive_batch_size_bucket", named)

    def test_metric_name_extraction(self):
        self.assertEqual(
            dashboard.metric_names('sum by (le, code) (rate(a_bucket{x="y(z)"}[1m])) / '
                                   'ignoring (code) group_left () sum(rate(b_total[5m])) > 1e3'),
            {"a_bucket", "b_total"})

    def exposition_under_load(self):
        """/metrics of custom_runner after its load generator ran a little."""
        port = free_port()
        process = subprocess.Popen(
            [os.environ["CUSTOM_RUNNER"], "--port", str(port), "--load", "200", "--seconds", "30"],
            stdout=subprocess.DEVNULL, preexec_fn=die_with_parent)
        try:
            url = f"http://127.0.0.1:{port}/metrics"

            def scraped_batches():
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        text = response.read().decode()
                except OSError:
                    return None
                # Wait for malformed requests (400s) too: every 50th generated request.
                return text if 'http_response_code="400"' in text else None

            text = wait_until(scraped_batches, timeout=20, interval=0.3)
            self.assertIsNotNone(text, "custom_runner served no metrics with 400s within 20 s")
            return text
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
