"""The scenario of scenario.cpp, written with prometheus_client itself.

Prints prometheus_client's exposition of it: `text` (0.0.4) or `openmetrics`. Exemplars are
omitted here with the timestamps the C++ side cannot share: the comparison masks them.
"""
import math
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics


def exponential_buckets(start, factor, end):
    """BentoML's exponential_buckets."""
    bound = start
    buckets = []
    while bound < end:
        buckets.append(bound)
        bound *= factor
    return tuple(buckets[:100]) + (end, float("inf"))


def linear_buckets(start, step, end):
    bound = start
    buckets = []
    while bound < end:
        buckets.append(bound)
        bound += step
    return tuple(buckets[:100]) + (end, float("inf"))


def scenario():
    registry = CollectorRegistry()
    requests = Counter("requests_total", "Requests served", ["code", "method"], registry=registry)
    requests.labels("200", "GET").inc()
    requests.labels("200", "GET").inc(2.5)
    requests.labels(method="POST", code="500").inc(0.1)
    requests.labels("404", "GET").inc()
    requests.remove("404", "GET")

    jobs = Counter("jobs", "Jobs done", registry=registry)
    jobs.inc(7)

    temperature = Gauge("temperature", "Temperature", ["sensor"], namespace="plant",
                        subsystem="boiler", unit="celsius", registry=registry)
    temperature.labels("nan").set(math.nan)
    temperature.labels("inf").set(math.inf)
    temperature.labels("minus_inf").set(-math.inf)
    temperature.labels("negative").set(-12.5)
    temperature.labels("large").set(123456789.0)
    temperature.labels("huge").set(1e22)
    temperature.labels("tiny").set(0.00001)
    temperature.labels("small").set(0.0001)
    temperature.labels("escaped").set(1)
    temperature.labels("quote\"back\\slash\nnewline ünï").set(2)

    help_escapes = Gauge("help_escapes", "Help with back\\slash and\nnewline and \"quotes\"",
                         registry=registry)
    help_escapes.set(3)

    Gauge("unused", "No children yet", ["a"], registry=registry)

    inference_duration = Histogram("inference_duration", "Duration of inference",
                                   ["torch_version", "device_id"],
                                   buckets=exponential_buckets(0.001, 1.5, 10.0),
                                   registry=registry)
    for value in (0.0005, 0.001, 0.0012, 0.012, 0.3, 2.0, 9.99, 10.0, 11.0):
        inference_duration.labels("2.1.0", "cuda:0").observe(value)
    inference_duration.labels("2.1.0", "cuda:1").observe(0.05)

    defaults = Histogram("request_latency", "Latency", unit="seconds", registry=registry)
    defaults.observe(0.3)
    defaults.observe(0.007)

    linear = Histogram("linear", "Linear buckets", buckets=linear_buckets(0, 0.1, 0.5),
                       registry=registry)
    linear.observe(0.25)

    payload = Summary("payload", "Payload size", ["route"], unit="bytes", registry=registry)
    payload.labels("/predict").observe(512)
    payload.labels("/predict").observe(1024.5)

    traced = Histogram("traced", "With exemplars", buckets=(0.1, 1), registry=registry)
    traced.observe(0.05, {"trace_id": "abc123"})
    traced.observe(0.5, {"trace_id": "def456", "span_id": "s1"})
    traced_counter = Counter("traced_events", "Counted with exemplar", registry=registry)
    traced_counter.inc(2, {"trace_id": "ghi789"})
    return registry


if __name__ == "__main__":
    registry = scenario()
    generate = generate_openmetrics if sys.argv[1:] == ["openmetrics"] else generate_text
    sys.stdout.write(generate(registry).decode("utf-8"))
