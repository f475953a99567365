"""The scenarios of scenario.cpp, written with prometheus_client 0.16 itself.

    python_scenario.py FORMAT [SCENARIO]

FORMAT is `text` (0.0.4) or `openmetrics`; SCENARIO is `main` (default), `negative_buckets` or
`differences`.
Prints prometheus_client's exposition of the scenario. Every statement here has its twin, in the
same order, in scenario.cpp: keep the two files in step.

prometheus_client reads PROMETHEUS_DISABLE_CREATED_SERIES once, when it is imported; to see
prometheus_client's output with that switch, run this file in a process with the variable set.
"""
import math
import sys

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

INF = float("inf")
MAX_BUCKET_COUNT = 100


def exponential_buckets(start, factor, end):
    """BentoML's exponential_buckets (bentoml/_internal/utils/metrics.py), same arithmetic."""
    assert start > 0.0
    assert start < end
    assert factor > 1.0
    bound = start
    buckets = []
    while bound < end:
        buckets.append(bound)
        bound *= factor
    if len(buckets) > MAX_BUCKET_COUNT:
        buckets = buckets[:MAX_BUCKET_COUNT]
    return tuple(buckets) + (end, INF)


def linear_buckets(start, step, end):
    """BentoML's linear_buckets (bentoml/_internal/utils/metrics.py), same arithmetic."""
    assert start > 0.0
    assert start < end
    assert step > 0.0
    bound = start
    buckets = []
    while bound < end:
        buckets.append(bound)
        bound += step
    if len(buckets) > MAX_BUCKET_COUNT:
        buckets = buckets[:MAX_BUCKET_COUNT]
    return tuple(buckets) + (end, INF)


# Gauge values whose formatting has a rule of its own (floatToGoString on Python's repr).
GAUGE_VALUES = (
    ("nan", math.nan),
    ("inf", math.inf),
    ("minus_inf", -math.inf),
    ("negative", -12.5),
    ("negative_zero", -0.0),
    ("zero", 0.0),
    ("large", 123456789.0),
    ("negative_large", -123456789.0),  # Go-style exponents only for positive values
    ("million", 1e6),
    ("below_million", 999999.0),
    ("e15", 1e15),  # prometheus_client's "e+0" prefix: 1e+015
    ("e16", 1e16),
    ("huge", 1e22),
    ("fractional_large", 12345678901.5),
    ("max", 1.7976931348623157e308),
    ("tiny", 0.00001),
    ("small", 0.0001),
    ("negative_tiny", -1e-05),
    ("denormal", 5e-324),
    ("sum_of_tenths", 0.1 + 0.2),
    ("third", 1 / 3),
    ("escaped", 1),
    ("quote\"back\\slash\nnewline ünï", 2),
    ("", 3),  # an empty label value
    ("emoji 😀 中文", 4),
    ("tab\there cr\rhere", 5),
    ("trailing backslash\\", 6),
)


def scenario():
    """The main scenario: every case whose bytes must equal prometheus_client's."""
    registry = CollectorRegistry()

    # A counter whose name ends in _total (prometheus_client strips it), by position and by name,
    # fractional increments, a removed child.
    requests = Counter("requests_total", "Requests served", ["code", "method"], registry=registry)
    requests.labels("200", "GET").inc()
    requests.labels("200", "GET").inc(2.5)
    requests.labels(method="POST", code="500").inc(0.1)
    requests.labels("404", "GET").inc()
    requests.remove("404", "GET")

    # A counter without _total and without labels.
    jobs = Counter("jobs", "Jobs done", registry=registry)
    jobs.inc(7)

    # Fractional increments summed in order: the same doubles as Python's float additions.
    fractional = Counter("fractional", "Fractional increments", ["case"], registry=registry)
    for amount in (0.1, 0.2, 0.7, 0.7, 0.7, 1e-9, 3.0):
        fractional.labels("mixed").inc(amount)
    for _ in range(10):
        fractional.labels("tenths").inc(0.1)
    fractional.labels("large").inc(1234567)
    fractional.labels("zero").inc(0)

    # namespace_, subsystem and unit on a counter whose name already ends in the unit.
    sent = Counter("sent_bytes_total", "Bytes sent", namespace="svc", unit="bytes",
                   registry=registry)
    sent.inc(4096)

    # A gauge with namespace_, subsystem, unit, and values that need care, in label values that
    # need escaping (backslash, quote, newline), UTF-8, empty.
    temperature = Gauge("temperature", "Température, °C — ünï", ["sensor"], namespace="plant",
                        subsystem="boiler", unit="celsius", registry=registry)
    for sensor, value in GAUGE_VALUES:
        temperature.labels(sensor).set(value)

    # A gauge whose name already ends in its unit; inc and dec; a colon in the name.
    memory = Gauge("memory_bytes", "Resident memory", unit="bytes", registry=registry)
    memory.inc(1024)
    memory.dec(24.5)
    rate = Gauge("job:requests:rate5m", "A recording-rule style name", registry=registry)
    rate.set(0.25)

    # HELP needing escaping: backslash, newline (both formats), quotes (OpenMetrics only). A
    # backslash at the very end. An empty HELP.
    help_escapes = Gauge("help_escapes", "Help with back\\slash and\nnewline and \"quotes\" \\",
                         registry=registry)
    help_escapes.set(3)
    empty_help = Gauge("empty_help", "", registry=registry)
    empty_help.set(1)

    # A metric with labels and no children; one whose children were all cleared, then one added.
    Gauge("unused", "No children yet", ["a"], registry=registry)
    cleared = Counter("cleared", "Cleared, then one child again", ["x"], registry=registry)
    cleared.labels("1").inc()
    cleared.labels("2").inc()
    cleared.clear()
    cleared.labels("3").inc(3)

    # Children in order of creation, by position and by name; a label name starting with "_".
    queue = Gauge("queue_depth", "Queue depth", ["queue", "_shard"], registry=registry)
    queue.labels("b", "1").set(2)
    queue.labels(_shard="0", queue="a").set(1)
    queue.labels("c", "2").set(3)
    queue.remove("b", "1")

    # BentoML's histogram: exponential_buckets(0.001, 1.5, 10.0) and two labels.
    inference_duration = Histogram("inference_duration", "Duration of inference",
                                   ["torch_version", "device_id"],
                                   buckets=exponential_buckets(0.001, 1.5, 10.0),
                                   registry=registry)
    for value in (0.0005, 0.001, 0.0012, 0.0015, 0.00225, 0.0022500000000000003, 0.012, 0.3, 2.0,
                  9.99, 10.0, 11.0, 0.0):
        inference_duration.labels("2.1.0", "cuda:0").observe(value)
    inference_duration.labels(device_id="cuda:1", torch_version="2.1.0").observe(0.05)

    # Default buckets, a unit, no labels.
    defaults = Histogram("request_latency", "Latency", unit="seconds", registry=registry)
    defaults.observe(0.3)
    defaults.observe(0.007)

    # A histogram nobody observed.
    Histogram("idle", "Never observed", buckets=(1, 2), registry=registry)

    # BentoML's linear_buckets (0.1+0.1+0.1 is 0.30000000000000004) and bounds past a million.
    linear = Histogram("linear", "Linear buckets", buckets=linear_buckets(0.1, 0.1, 0.5),
                       registry=registry)
    linear.observe(0.25)
    sizes = Histogram("response_size", "Response sizes", unit="bytes",
                      buckets=exponential_buckets(1000, 10, 1e16), registry=registry)
    for value in (512, 2e6, 3e12, 2e16):
        sizes.observe(value)

    # A summary with labels and a unit, one without labels nobody observed.
    payload = Summary("payload", "Payload size", ["route"], unit="bytes", registry=registry)
    payload.labels("/predict").observe(512)
    payload.labels("/predict").observe(1024.5)
    payload.labels("/health").observe(0)
    Summary("idle_payload", "Never observed", registry=registry)

    # Exemplars: on histogram buckets (the latest per bucket wins, one on +Inf, a value in Go
    # style, escaping and UTF-8 in exemplar labels, 128 characters exactly) and on counters.
    traced = Histogram("traced", "With exemplars", buckets=(0.1, 1, 1e7), registry=registry)
    traced.observe(0.05, {"trace_id": "abc123"})
    traced.observe(0.07, {"trace_id": "abc124"})
    traced.observe(0.5, {"trace_id": "def456", "span_id": "s1"})
    traced.observe(1234567.0, {"trace_id": "quote\"back\\slash\nnewline ünï"})
    traced.observe(2e7, {"trace_id": "é" * 120})
    traced.observe(0.08)
    traced_counter = Counter("traced_events", "Counted with exemplar", registry=registry)
    traced_counter.inc(2, {"trace_id": "ghi789"})
    traced_counter.inc(0.5)
    traced_labelled = Counter("traced_requests_total", "Counted with exemplar, labelled",
                              ["code"], registry=registry)
    traced_labelled.labels("200").inc(1, {"trace_id": "jkl"})
    traced_labelled.labels("200").inc(1, {"trace_id": "mno"})
    traced_labelled.labels("500").inc()

    # Info and Enum, with and without labels; escaping in info values; the Enum's own label
    # sorted among the others.
    build = Info("build", "Build information", registry=registry)
    build.info({"version": "1.2.3", "commit": "quote\"back\\slash\nnewline"})
    runner = Info("runner", "Runner information", ["runner_name"], registry=registry)
    runner.labels("iris").info({"device": "cuda:0", "zz": "last", "a": "first"})
    runner.labels("empty")
    task_state = Enum("task_state", "Task state", states=["starting", "running", "stopped"],
                      registry=registry)
    task_state.state("running")
    worker = Enum("worker_state", "Worker state", ["worker", "zone"], states=["idle", "busy"],
                  registry=registry)
    worker.labels("w1", "a").state("busy")
    worker.labels("w2", "b")
    return registry


def negative_buckets():
    """A histogram with negative bucket bounds: prometheus_client writes no _sum then. Its own
    OpenMetrics parser rejects that output (_count without _sum), hence a scenario of its own."""
    registry = CollectorRegistry()
    delta = Histogram("temperature_delta", "Change", buckets=(-1, 0, 1), registry=registry)
    delta.observe(-0.5)
    delta.observe(0.5)
    delta.observe(-3)
    return registry


def differences():
    """Cases where the library intentionally differs from prometheus_client (docs/design.md)."""
    registry = CollectorRegistry()
    exact = Counter("exact", "Counter past 2^53", registry=registry)
    exact.inc(2.0 ** 53)
    exact.inc(1)
    nan_observed = Histogram("nan_observed", "NaN observation", buckets=(1,), registry=registry)
    nan_observed.observe(0.5)
    nan_observed.observe(math.nan)
    revived = Counter("revived", "Removed and used again", ["k"], registry=registry)
    revived.labels("a").inc(5)
    revived.labels("b").inc(2)
    revived.remove("a")
    revived.labels("a").inc(1)
    nan_counter = Counter("nan_increment", "A NaN increment", registry=registry)
    nan_counter.inc(1)
    nan_counter.inc(math.nan)
    return registry


SCENARIOS = {"main": scenario, "negative_buckets": negative_buckets,
             "differences": differences}


def exposition(fmt, name="main"):
    registry = SCENARIOS[name]()
    generate = generate_openmetrics if fmt == "openmetrics" else generate_text
    return generate(registry).decode("utf-8")


if __name__ == "__main__":
    sys.stdout.write(exposition(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "main"))
