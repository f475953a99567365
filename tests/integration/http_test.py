"""The /metrics endpoint over real HTTP: status codes, headers, formats, gzip, auth, TLS.

Needs TEST_SERVER (the test_server binary) in the environment; run by ctest.
"""
import ctypes
import gzip
import http.client
import os
import pathlib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from prometheus_client.openmetrics.parser import (  # noqa: E402
    text_string_to_metric_families as parse_openmetrics)
from prometheus_client.parser import text_string_to_metric_families as parse_text  # noqa: E402
from server_process import Server, binary_from_env  # noqa: E402

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def request(port, method="GET", path="/metrics", headers=None, body=None, tls=False):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class EndpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(binary_from_env())

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.server.__exit__()

    def get(self, **kwargs):
        return request(self.server.port, **kwargs)

    def test_text_format_by_default_and_promtool_accepts_it(self):
        status, headers, body = self.get()
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(int(headers["Content-Length"]), len(body))
        text = body.decode()
        families = {family.name: family for family in parse_text(text)}
        buckets = {s.labels["le"]: s.value for s in families["inference_duration"].samples
                   if s.name == "inference_duration_bucket"}
        self.assertEqual(buckets["0.011390625000000001"], 0)  # 0.012 observed at start
        self.assertEqual(buckets["0.017085937500000002"], 1)
        self.assertEqual(buckets["+Inf"], 1)
        self.assertEqual(families["temperature_celsius"].samples[0].value, 21.5)
        self.assertNotIn("# EOF", text)
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_openmetrics_when_prometheus_asks_for_it(self):
        status, headers, body = self.get(headers={"Accept": PROMETHEUS_ACCEPT})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"],
                         "application/openmetrics-text; version=1.0.0; charset=utf-8")
        text = body.decode()
        self.assertTrue(text.endswith("# EOF\n"))
        families = {family.name: family for family in parse_openmetrics(text)}
        self.assertEqual(families["temperature_celsius"].unit, "celsius")
        exemplars = [s.exemplar for f in families.values() for s in f.samples if s.exemplar]
        self.assertEqual(sorted(e.labels["trace_id"] for e in exemplars), ["abc123", "def456"])
        self.assertEqual(self.get(headers={"Accept": "text/plain;version=0.0.4"})[1]["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")

    def test_gzip_when_asked_and_only_then(self):
        _, _, plain = self.get()
        status, headers, body = self.get(headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertEqual(headers["Vary"], "Accept-Encoding")
        self.assertEqual(int(headers["Content-Length"]), len(body))
        self.assertEqual(gzip.decompress(body), plain)
        self.assertLess(len(body), len(plain))
        _, headers, body = self.get(headers={"Accept-Encoding": "gzip;q=0, identity"})
        self.assertNotIn("Content-Encoding", headers)
        self.assertEqual(body, plain)
        _, headers, _ = self.get(headers={"Accept-Encoding": "deflate, br"})
        self.assertNotIn("Content-Encoding", headers)
        _, headers, body = self.get(headers={"Accept-Encoding": "*",
                                             "Accept": PROMETHEUS_ACCEPT})
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertTrue(gzip.decompress(body).endswith(b"# EOF\n"))

    def test_head_has_the_headers_of_get_and_no_body(self):
        _, get_headers, get_body = self.get()
        status, headers, body = self.get(method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(int(headers["Content-Length"]), len(get_body))
        self.assertEqual(headers["Content-Type"], get_headers["Content-Type"])

    def test_one_date_header_in_imf_fixdate_form(self):
        # Written by the library (CivetWeb's own uses the thread-unsafe gmtime()).
        for method, path in (("GET", "/metrics"), ("POST", "/metrics"), ("GET", "/other")):
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
            try:
                connection.request(method, path)
                dates = connection.getresponse().msg.get_all("Date")
            finally:
                connection.close()
            self.assertEqual(len(dates), 1, (method, path, dates))
            self.assertRegex(dates[0], r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                             r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                             r"\d\d:\d\d:\d\d GMT$")

    def test_other_methods_are_405_and_other_paths_404(self):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            status, headers, _ = self.get(method=method, body=b"x")
            self.assertEqual(status, 405, method)
            self.assertEqual(headers["Allow"], "GET, HEAD")
        for path in ("/", "/metrics/", "/metricsx", "/other", "/../etc/passwd", "/index.html"):
            status, _, _ = self.get(path=path)
            self.assertEqual(status, 404, path)
        self.assertEqual(self.get(path="/metrics?name[]=x")[0], 200)

    def test_oversized_request_headers_are_refused(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 +
                         b"\r\n\r\n")
            reply = b""
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertFalse(reply.startswith(b"HTTP/1.1 200"), reply[:100])

    def test_idle_keep_alive_connections_do_not_starve_a_new_scraper(self):
        # CivetWeb gives each connection a worker thread for as long as it is kept alive; the
        # server has 4. Six scrapers that keep their connections open after a scrape must not
        # keep a seventh waiting for more than the short keep-alive idle time.
        idle = []
        try:
            for _ in range(6):
                connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
                connection.request("GET", "/metrics")
                connection.getresponse().read()
                idle.append(connection)
            started = time.monotonic()
            status, _, _ = self.get()
            self.assertEqual(status, 200)
            self.assertLess(time.monotonic() - started, 3.0)
        finally:
            for connection in idle:
                connection.close()


class AuthTest(unittest.TestCase):
    def test_basic_auth(self):
        with Server(binary_from_env(), "--auth", "scraper:s3cret") as server:
            status, headers, _ = request(server.port)
            self.assertEqual(status, 401)
            self.assertIn("Basic", headers["WWW-Authenticate"])
            wrong = {"Authorization": "Basic c2NyYXBlcjp3cm9uZw=="}  # scraper:wrong
            self.assertEqual(request(server.port, headers=wrong)[0], 401)
            right = {"Authorization": "Basic c2NyYXBlcjpzM2NyZXQ="}  # scraper:s3cret
            status, _, body = request(server.port, headers=right)
            self.assertEqual(status, 200)
            self.assertIn(b"requests_total", body)
            server.close()


class StartupErrorTest(unittest.TestCase):
    def test_port_in_use_is_an_error_naming_the_address(self):
        with Server(binary_from_env()) as server:
            result = subprocess.run([binary_from_env(), "--port", str(server.port)],
                                    input="", capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 3, result.stdout)
            self.assertIn(f"127.0.0.1:{server.port}", result.stdout)
            server.close()

    def test_bad_address_and_path(self):
        for args in (["--listen", "localhost:abc"], ["--listen", "300.0.0.1:0"],
                     ["--path", "metrics"]):
            result = subprocess.run([binary_from_env(), *args], input="", capture_output=True,
                                    text=True, timeout=30)
            self.assertEqual(result.returncode, 3, (args, result.stdout))
            self.assertTrue(result.stdout.startswith("error "), result.stdout)


def civetweb_tls_can_work():
    """What CivetWeb 1.15 needs at run time: a "libssl.so" with the OpenSSL 1.1 API, which it
    loads with dlopen. Debian 12 has OpenSSL 3, whose libssl lacks SSL_get_peer_certificate."""
    try:
        libssl = ctypes.CDLL("libssl.so")
    except OSError:
        return False
    return hasattr(libssl, "SSL_get_peer_certificate")


class TlsTest(unittest.TestCase):
    """HTTPS with a self-signed certificate where CivetWeb's TLS works with the system OpenSSL;
    elsewhere (Debian 12) a clear error at start, never a server that dies on its first HTTPS
    connection. Fails the day the packaged CivetWeb changes, so that the README can follow."""

    def test_https_with_a_self_signed_certificate_or_a_clear_error(self):
        with tempfile.TemporaryDirectory() as directory:
            key = os.path.join(directory, "key.pem")
            cert = os.path.join(directory, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                           check=True, capture_output=True)
            bundle = pathlib.Path(directory, "bundle.pem")
            bundle.write_text(pathlib.Path(cert).read_text() + pathlib.Path(key).read_text())
            if not civetweb_tls_can_work():
                result = subprocess.run([binary_from_env(), "--tls", str(bundle)], input="",
                                        capture_output=True, text=True, timeout=30)
                self.assertEqual(result.returncode, 3, result)
                self.assertIn("TLS requested", result.stdout)
                self.assertIn("127.0.0.1:0", result.stdout)
                return
            with Server(binary_from_env(), "--tls", str(bundle)) as server:
                status, _, body = request(server.port, tls=True)
                self.assertEqual(status, 200)
                self.assertIn(b"inference_duration_bucket", body)
                with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
                    request(server.port)  # plain HTTP on the TLS port is refused
                server.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
