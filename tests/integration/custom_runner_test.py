"""The guide's scenario end to end, step by step as the README walks it:

1. the demo's service (custom_runner) on loopback, and custom_runner_grpc when it was built;
2. `curl /metrics` and `curl -X POST --data-binary @digit.pgm /predict`;
3. a real Prometheus (Debian's) with the shipped prometheus.yml (and prometheus.grpc.yml),
   pointed at the services' ports, scraping every second, storage in a temporary directory;
4. load through /predict (and gRPC): valid images and a few malformed ones;
5. Prometheus's HTTP API: the guide's p95 query, every query of the Grafana dashboard, and the
   request counters, which must equal the requests sent; batch sizes between 1 and 50.

Every process started here dies with the test (PR_SET_PDEATHSIG) and is stopped in tearDown.
"""
import concurrent.futures
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard  # noqa: E402
from server_process import die_with_parent, free_port, wait_until  # noqa: E402

DIGIT = os.path.join(dashboard.EXAMPLE, "digit.pgm")
GUIDE_P95 = "histogram_quantile(0.95, rate(inference_duration_bucket[1m]))"
VALID, MALFORMED = 240, 10          # HTTP requests the test sends (besides the one curl POST)
GRPC_VALID, GRPC_MALFORMED = 120, 6  # gRPC requests (besides the first one); both even
GRPC_METHOD = "/bentoml.grpc.v1alpha1.BentoService/Call"


def synthetic_image(index):
    """784 raw bytes: a bright bar whose place depends on `index`."""
    pixels = bytearray(784)
    row = 4 + index % 20
    for column in range(4, 24):
        pixels[row * 28 + column] = 255
    return bytes(pixels)


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def grpc_request(image):
    """bentoml.grpc.v1alpha1.Request{api_name: "predict", file: {content: image}}, encoded."""
    file = b"\x12" + varint(len(image)) + image
    return b"\x0a\x07predict" + b"\x3a" + varint(len(file)) + file


def read_varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(data):
    """(field number, wire type, value) of a protobuf message (varint and length-delimited)."""
    at = 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = read_varint(data, at)
        elif wire == 2:
            length, at = read_varint(data, at)
            value, at = data[at:at + length], at + length
        else:
            raise ValueError(f"unexpected wire type {wire}")
        yield number, wire, value


def grpc_response_class(data):
    """The class in Response.ndarray.int32_values (packed)."""
    for number, _, ndarray in fields(data):
        if number == 1:
            for inner, wire, value in fields(ndarray):
                if inner == 7:
                    return value if wire == 0 else read_varint(value, 0)[0]
    return None


class Service:
    """custom_runner or custom_runner_grpc; reads the URLs it prints."""

    def __init__(self, binary, *args):
        self.process = subprocess.Popen([binary, *args, "--seconds", "110"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, preexec_fn=die_with_parent)
        self.banner = [self.process.stdout.readline() for _ in range(3)]
        urls = re.findall(r"(?:http|grpc)://[0-9.]+:[0-9]+[/a-z]*", "".join(self.banner))
        if len(urls) < 2:
            self.stop()
            raise RuntimeError(f"{binary} did not start: {self.banner}")
        self.metrics_url, self.predict_url = urls[0], urls[1]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


class CustomRunnerEndToEnd(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="bentoml-metrics-custom-runner-")
        self.processes = []
        self.log = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for process in reversed(self.processes):
            process.stop()
        if self.log:
            self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # ---- step 1 and 2: the service, curl /metrics, curl -X POST /predict -----------------------

    def start_services(self):
        port = free_port()
        self.http = Service(os.environ["CUSTOM_RUNNER"], "--port", str(port))
        self.processes.append(self.http)
        self.assertEqual(self.http.metrics_url, f"http://127.0.0.1:{port}/metrics")
        self.assertEqual(self.http.predict_url, f"http://127.0.0.1:{port}/predict")
        self.grpc = None
        if os.environ.get("CUSTOM_RUNNER_GRPC"):
            self.grpc = Service(os.environ["CUSTOM_RUNNER_GRPC"], "--port", str(free_port()),
                                "--metrics-port", str(free_port()))
            self.processes.append(self.grpc)

    def curl_steps(self):
        metrics = subprocess.run(["curl", "-sf", self.http.metrics_url], capture_output=True,
                                 text=True, timeout=10)
        self.assertEqual(metrics.returncode, 0, metrics.stderr)
        for family in ("bentoml_service_request_total counter",
                       "bentoml_service_request_in_progress gauge",
                       "bentoml_service_request_duration_seconds histogram",
                       "bentoml_service_adaptive_batch_size histogram",
                       "inference_duration histogram"):
            self.assertIn(f"# TYPE {family}\n", metrics.stdout)
        predict = subprocess.run(["curl", "-sf", "-X", "POST", "--data-binary", f"@{DIGIT}",
                                  self.http.predict_url], capture_output=True, text=True,
                                 timeout=10)
        self.assertEqual(predict.returncode, 0, predict.stderr)
        self.assertRegex(predict.stdout, r"^\[[0-9]\]$")

    # ---- step 3: Prometheus with the shipped configuration -----------------------------------

    def start_prometheus(self):
        def adjusted(name, port):
            with open(os.path.join(dashboard.EXAMPLE, name)) as shipped:
                text = shipped.read()
            self.assertIn("scrape_interval: 5s", text)
            text = text.replace("scrape_interval: 5s", "scrape_interval: 1s")
            return re.sub(r'"127\.0\.0\.1:300[01]"', f'"127.0.0.1:{port}"', text)

        config = adjusted("prometheus.yml", self.port_of(self.http.metrics_url))
        if self.grpc:
            grpc = adjusted("prometheus.grpc.yml", self.port_of(self.grpc.metrics_url))
            config += grpc[grpc.index("scrape_configs:\n") + len("scrape_configs:\n"):]
        path = os.path.join(self.directory, "prometheus.yml")
        with open(path, "w") as out:
            out.write(config)
        self.prometheus_port = free_port()
        self.log = open(os.path.join(self.directory, "prometheus.log"), "w")
        process = subprocess.Popen(
            ["/usr/bin/prometheus", f"--config.file={path}",
             f"--storage.tsdb.path={os.path.join(self.directory, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

        class Prometheus:
            def stop(self_):
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

        self.processes.append(Prometheus())
        jobs = 2 if self.grpc else 1
        up = wait_until(lambda: (r := self.query("sum(up)")) and float(r[0]["value"][1]) == jobs,
                        timeout=40)
        self.assertTrue(up, "Prometheus did not scrape every job:\n" + self.prometheus_log())

    @staticmethod
    def port_of(url):
        return int(re.search(r":([0-9]+)/", url).group(1))

    def query(self, expression):
        url = (f"http://127.0.0.1:{self.prometheus_port}/api/v1/query?"
               + urllib.parse.urlencode({"query": expression}))
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer = json.load(response)
        except OSError:
            return None
        return answer["data"]["result"] if answer.get("status") == "success" else None

    def values(self, expression):
        """{labels as a sorted tuple: value} of an instant vector; NaN values left out."""
        result = self.query(expression) or []
        values = {}
        for series in result:
            value = float(series["value"][1])
            if not math.isnan(value):
                values[tuple(sorted(series["metric"].items()))] = value
        return values

    def prometheus_log(self):
        self.log.flush()
        with open(self.log.name) as log:
            return log.read()[-3000:]

    # ---- step 4: load ------------------------------------------------------------------------

    def post(self, body):
        request = urllib.request.Request(self.http.predict_url, data=body, method="POST",
                                         headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def http_load(self, valid, malformed):
        bodies = [synthetic_image(i) for i in range(valid)] + [b"\x01" * 100] * malformed
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(self.post, bodies))
        statuses = [status for status, _ in answers]
        self.assertEqual(statuses.count(200), valid, statuses)
        self.assertEqual(statuses.count(400), malformed, statuses)
        for status, body in answers:
            if status == 200:
                self.assertRegex(body.decode(), r"^\[[0-9]\]$")

    def grpc_load(self, valid, malformed):
        import grpc  # python3-grpcio (scripts/install-deps.sh)
        target = re.sub(r"^grpc://", "", self.grpc.predict_url)
        with grpc.insecure_channel(target) as channel:
            call = channel.unary_unary(GRPC_METHOD)  # raw bytes in and out

            def send(image):
                try:
                    return grpc.StatusCode.OK, grpc_response_class(call(grpc_request(image),
                                                                        timeout=30))
                except grpc.RpcError as error:
                    return error.code(), None

            images = [synthetic_image(i) for i in range(valid)] + [b"\x02" * 10] * malformed
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(send, images))
        codes = [code for code, _ in answers]
        self.assertEqual(codes.count(grpc.StatusCode.OK), valid, codes)
        self.assertEqual(codes.count(grpc.StatusCode.INVALID_ARGUMENT), malformed, codes)
        self.assertTrue(all(0 <= label <= 9 for code, label in answers
                            if code == grpc.StatusCode.OK))

    # ---- step 5: Prometheus's answers --------------------------------------------------------

    def wait_for_counts(self, expression, expected):
        got = wait_until(lambda: self.values(expression) == expected and expected, timeout=30)
        self.assertEqual(self.values(expression), expected,
                         f"{expression}\n{self.prometheus_log()}")
        return got

    def check_counters(self, job, endpoint, valid, malformed):
        selector = f'job="{job}",runner_name="pytorch_mnist",endpoint="{endpoint}"'
        self.wait_for_counts(
            f"sum by (http_response_code) (bentoml_service_request_total{{{selector}}})",
            {(("http_response_code", "200"),): float(valid),
             (("http_response_code", "400"),): float(malformed)})
        # One runner request per valid API request; every image in exactly one batch.
        runner = f'job="{job}",runner_name="mnist_runner"'
        self.wait_for_counts(f"sum(bentoml_service_request_total{{{runner}}})", {(): float(valid)})
        self.wait_for_counts(f"sum(bentoml_service_adaptive_batch_size_sum{{{runner}}})",
                             {(): float(valid)})
        self.wait_for_counts(f"sum(bentoml_service_request_in_progress{{job=\"{job}\"}})",
                             {(): 0.0})
        batches = self.values(f"sum(bentoml_service_adaptive_batch_size_count{{{runner}}})")[()]
        self.assertGreaterEqual(batches, 1)
        self.assertLessEqual(batches, valid)
        mean = valid / batches
        self.assertTrue(1 <= mean <= 50, mean)
        # No batch above 50: the le="50.0" bucket holds every batch.
        above = self.values(
            f'sum(bentoml_service_adaptive_batch_size_bucket{{{runner},le="+Inf"}}) - '
            f'sum(bentoml_service_adaptive_batch_size_bucket{{{runner},le="50.0"}})')
        self.assertEqual(above, {(): 0.0})
        print(f"{job}: {valid} + {malformed} requests, {batches:.0f} batches, "
              f"mean batch size {mean:.2f}")

    def test_the_guides_scenario(self):
        self.start_services()
        self.curl_steps()
        if self.grpc:
            self.grpc_load(1, 0)  # the gRPC tab's one request, as the curl POST above
        # Prometheus scrapes once before the load, so rates over the load are defined.
        self.start_prometheus()
        # The load in two halves with a scrape between them: a series that first appears in the
        # middle of the load has a rate only from its second sample on.
        for half in (0, 1):
            self.http_load(VALID // 2, MALFORMED // 2)
            if self.grpc:
                self.grpc_load(GRPC_VALID // 2, GRPC_MALFORMED // 2)
            if half == 0:
                self.wait_for_counts(
                    'sum(bentoml_service_request_total{http_response_code="400"})',
                    {(): float(MALFORMED // 2 + (GRPC_MALFORMED // 2 if self.grpc else 0))})

        self.check_counters("pytorch_mnist", "/predict", VALID + 1, MALFORMED)  # + the curl POST
        if self.grpc:
            self.check_counters("pytorch_mnist_grpc", "predict", GRPC_VALID + 1, GRPC_MALFORMED)

        # The guide's query: one p95 per scraped service, inside the bucket range.
        jobs = 2 if self.grpc else 1
        p95 = wait_until(lambda: len(self.values(GUIDE_P95)) == jobs and self.values(GUIDE_P95),
                         timeout=20)
        self.assertTrue(p95, GUIDE_P95 + "\n" + self.prometheus_log())
        self.assertEqual(len(p95), jobs, p95)
        for labels, value in p95.items():
            self.assertGreaterEqual(value, 0.0, labels)
            self.assertLessEqual(value, 10.0, labels)
            self.assertIn(("device_id", "cpu"), labels)
            self.assertIn(("torch_version", "none"), labels)
        print(f"p95 inference latency: {sorted(p95.values())}")

        # Every query of the Grafana dashboard answers.
        for title, expression in dashboard.expressions(dashboard.load()):
            answer = wait_until(lambda: self.values(expression), timeout=10)
            self.assertTrue(answer, f"{title}: {expression} has no answer")
            if "histogram_quantile" in expression and "inference_duration" in expression:
                self.assertTrue(all(0 <= v <= 10 for v in answer.values()), answer)
            if "Error ratio" in title:
                self.assertTrue(all(0 < v < 1 for v in answer.values()), answer)
                codes = {dict(labels)["http_response_code"] for labels in answer}
                self.assertEqual(codes, {"400"}, answer)


if __name__ == "__main__":
    unittest.main(verbosity=2)
