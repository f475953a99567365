"""The differential check: random scenarios, this library against prometheus_client 0.16.

    differential.py SCENARIO_BINARY COUNT [SEED]

Runs `SCENARIO_BINARY COUNT SEED` (fuzz/differential_scenarios.cpp), replays each scenario it
prints with prometheus_client (Debian's /usr/bin/python3), and compares both exposition formats
byte for byte. Only clock readings are masked: `_created` values and exemplar timestamps.
Prints the first differing scenario as a unified diff and exits 1; else one summary line.
"""
import difflib
import json
import os
import re
import subprocess
import sys

os.environ.pop("PROMETHEUS_DISABLE_CREATED_SERIES", None)

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary  # noqa: E402
from prometheus_client.exposition import generate_latest as generate_text  # noqa: E402
from prometheus_client.openmetrics.exposition import (  # noqa: E402
    generate_latest as generate_openmetrics)

CREATED = re.compile(r"^(\S+_created(?:\{.*\})?) \S+$", re.MULTILINE)
EXEMPLAR_TIME = re.compile(r"^(.* # \{.*\} \S+) \S+$", re.MULTILINE)


def mask(text):
    return EXEMPLAR_TIME.sub(r"\1 <time>", CREATED.sub(r"\1 <time>", text))


def replay(scenario):
    registry = CollectorRegistry()
    made = []
    for spec in scenario["metrics"]:
        kind = {"counter": Counter, "gauge": Gauge, "histogram": Histogram,
                "summary": Summary}[spec["type"]]
        arguments = dict(name=spec["name"], documentation=spec["documentation"],
                         labelnames=spec["labelnames"], registry=registry)
        if spec["type"] == "histogram":
            arguments["buckets"] = [float(bound) for bound in spec["buckets"]]
        made.append(kind(**arguments))
    for op in scenario["ops"]:
        metric = made[op[0]]
        name, values = op[1], op[2]
        if name == "remove":
            metric.remove(*values)
            continue
        if name == "clear":
            metric.clear()
            continue
        target = metric.labels(*values) if values else metric
        value = float(op[3])
        exemplar = {"trace_id": op[4]} if op[4] is not None else None
        if name == "inc" and isinstance(metric, Counter):
            target.inc(value, exemplar)
        elif name == "inc":
            target.inc(value)
        elif name == "dec":
            target.dec(value)
        elif name == "set":
            target.set(value)
        elif isinstance(metric, Histogram):
            target.observe(value, exemplar)
        else:
            target.observe(value)
    return (generate_text(registry).decode("utf-8"),
            generate_openmetrics(registry).decode("utf-8"))


def main():
    binary, count = sys.argv[1], int(sys.argv[2])
    seed = sys.argv[3] if len(sys.argv) > 3 else "1"
    output = subprocess.run([binary, str(count), seed], check=True, capture_output=True,
                            timeout=600).stdout.decode("utf-8")
    scenarios = [json.loads(line) for line in output.splitlines()]
    if len(scenarios) != count:
        print(f"expected {count} scenarios, got {len(scenarios)}")
        return 1
    samples = 0
    for scenario in scenarios:
        expected = replay(scenario)
        for fmt, ours, theirs in zip(("text", "openmetrics"),
                                     (scenario["text"], scenario["openmetrics"]), expected):
            if mask(ours) != mask(theirs):
                print(f"scenario {scenario['index']} (seed {seed}), {fmt}: ours differs from "
                      f"prometheus_client\n" + json.dumps(
                          {"metrics": scenario["metrics"], "ops": scenario["ops"]}))
                sys.stdout.writelines(difflib.unified_diff(
                    mask(theirs).splitlines(True), mask(ours).splitlines(True),
                    "prometheus_client", "bentoml-metrics"))
                return 1
            samples += sum(1 for line in ours.splitlines() if line and line[0] != "#")
    print(f"differential: {count} scenarios (seed {seed}), {samples} samples, both formats "
          f"identical to prometheus_client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
