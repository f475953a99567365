"""Conformance of the library's exposition, checked with tools that are not ours.

Usage: compare_with_python.py SCENARIO_BINARY CHECK
CHECK is one of:
  golden-text, golden-openmetrics  byte-for-byte equality with prometheus_client's own output for
                                   the same scenario (only _created values and exemplar
                                   timestamps are masked: they are clock readings)
  promtool                         `promtool check metrics` accepts the text output
  parse-text, parse-openmetrics    prometheus_client's parsers read our output back into exactly
                                   the families and samples prometheus_client itself holds
  no-created                       PROMETHEUS_DISABLE_CREATED_SERIES=true leaves out _created
Exit status 0 when the check holds; a unified diff or message otherwise.
"""
import difflib
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import python_scenario  # noqa: E402
from prometheus_client.exposition import generate_latest as generate_text  # noqa: E402
from prometheus_client.openmetrics.exposition import generate_latest as generate_om  # noqa: E402
from prometheus_client.openmetrics.parser import (  # noqa: E402
    text_string_to_metric_families as parse_om)
from prometheus_client.parser import text_string_to_metric_families as parse_text  # noqa: E402


def ours(binary, fmt, env=None):
    return subprocess.run([binary, fmt], check=True, capture_output=True, text=True,
                          env=env).stdout


def theirs(fmt):
    registry = python_scenario.scenario()
    return (generate_om if fmt == "openmetrics" else generate_text)(registry).decode("utf-8")


CREATED = re.compile(r"^(\S+_created(?:\{.*\})?) \S+$", re.M)
EXEMPLAR_TIME = re.compile(r"( # \{.*\} \S+) \S+$", re.M)


def mask(text):
    text = CREATED.sub(r"\1 <created>", text)
    return EXEMPLAR_TIME.sub(r"\1 <timestamp>", text)


def fail(message):
    sys.stdout.write(message + "\n")
    sys.exit(1)


def golden(binary, fmt):
    expected = mask(theirs(fmt))
    actual = mask(ours(binary, fmt))
    if expected != actual:
        diff = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                    "prometheus_client", "bentoml-metrics")
        fail("".join(diff))
    print(f"golden {fmt}: {len(actual.splitlines())} lines identical to prometheus_client")


def promtool(binary):
    text = ours(binary, "text")
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            text=True)
    if result.returncode != 0:
        fail(f"promtool check metrics failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    print("promtool check metrics: ok")


def same_value(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def normalized(families, created_masked=True):
    """[(family name, type, documentation, unit, [(sample name, labels, value, exemplar)])]"""
    result = []
    for family in families:
        samples = []
        for sample in family.samples:
            value = "<created>" if sample.name.endswith("_created") and created_masked \
                else sample.value
            exemplar = None
            if sample.exemplar is not None:
                exemplar = (sample.exemplar.labels, sample.exemplar.value)
            samples.append((sample.name, sample.labels, value, exemplar))
        result.append((family.name, family.type, family.documentation,
                       getattr(family, "unit", ""), samples))
    return result


def compare_structures(expected, actual):
    if len(expected) != len(actual):
        fail(f"{len(actual)} families parsed, expected {len(expected)}:\n"
             f"{[f[0] for f in actual]}\n{[f[0] for f in expected]}")
    for want, got in zip(expected, actual):
        if want[:4] != got[:4]:
            fail(f"family differs: expected {want[:4]}, got {got[:4]}")
        if len(want[4]) != len(got[4]):
            fail(f"family {want[0]}: {len(got[4])} samples, expected {len(want[4])}")
        for want_sample, got_sample in zip(want[4], got[4]):
            name_ok = want_sample[0] == got_sample[0] and want_sample[1] == got_sample[1]
            w, g = want_sample[2], got_sample[2]
            value_ok = w == g if isinstance(w, str) or isinstance(g, str) else same_value(w, g)
            if not (name_ok and value_ok and want_sample[3] == got_sample[3]):
                fail(f"sample differs: expected {want_sample}, got {got_sample}")


def parse(binary, fmt):
    parser = parse_om if fmt == "openmetrics" else parse_text
    actual = normalized(parser(ours(binary, fmt)))
    expected = normalized(parser(theirs(fmt)))
    compare_structures(expected, actual)
    count = sum(len(f[4]) for f in actual)
    if fmt == "openmetrics":
        exemplars = sum(1 for f in actual for s in f[4] if s[3] is not None)
        if exemplars != 3:
            fail(f"expected 3 exemplars parsed back, got {exemplars}")
    print(f"parse {fmt}: {len(actual)} families, {count} samples equal to prometheus_client's")


def no_created(binary):
    env = dict(os.environ, PROMETHEUS_DISABLE_CREATED_SERIES="True")
    for fmt in ("text", "openmetrics"):
        text = ours(binary, fmt, env)
        if "_created" in text:
            fail(f"{fmt}: _created present although disabled")
        if "requests_total" not in text:
            fail(f"{fmt}: output is missing the samples")
    print("PROMETHEUS_DISABLE_CREATED_SERIES=True: no _created series")


def main():
    binary, check = sys.argv[1], sys.argv[2]
    if check == "golden-text":
        golden(binary, "text")
    elif check == "golden-openmetrics":
        golden(binary, "openmetrics")
    elif check == "promtool":
        promtool(binary)
    elif check == "parse-text":
        parse(binary, "text")
    elif check == "parse-openmetrics":
        parse(binary, "openmetrics")
    elif check == "no-created":
        no_created(binary)
    else:
        fail(f"unknown check {check}")


if __name__ == "__main__":
    main()
