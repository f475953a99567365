"""The Python side of multiprocess_tool's scenario: the same metrics, recorded in the same order
with prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set by the caller). Prints
the pid, whose files the test then compares byte for byte with the C++ process's."""
import os

from prometheus_client import Counter, Gauge, Histogram, Summary

requests = Counter("mp_requests", 'Requests "served"\nby code \u00e9', ["path", "code"])
requests.labels("/\u00e9\U0001F600", '2"0\\0\n').inc(3)
requests.labels("/b", "500").inc(0.5)
plain = Counter("mp_plain", "plain")
plain.inc()
sized = Counter("x", "with namespace", namespace="ns", subsystem="sub", unit="bytes")
sized.inc(1024)
modes = ["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum"]
for i, mode in enumerate(modes):
    gauge = Gauge("mp_g_" + mode, "gauge " + mode, ["k"], multiprocess_mode=mode)
    gauge.labels("v").set(1.5 * (i + 1))
    gauge.labels("w").inc(2)
    gauge.labels("w").dec(0.5)
latency = Histogram("mp_latency", "Latency", ["route"], buckets=[0.005, 0.1, 1, 1e6])
for value in (0.0625, 2.0, 2e6):
    latency.labels("/a").observe(value)
defaults = Histogram("mp_default", "default buckets")
defaults.observe(0.375)
size = Summary("mp_size", "Size", ["route"])
size.labels("/a").observe(512)
size.labels("/a").observe(1024)
plain_summary = Summary("mp_plain_summary", "plain summary")
plain_summary.observe(1)
print(os.getpid())
