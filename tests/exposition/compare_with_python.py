"""Conformance of the library's exposition, judged by tools that are not ours: prometheus_client
0.16 (Debian's python3-prometheus-client, run with /usr/bin/python3) and promtool.

Usage: compare_with_python.py SCENARIO_BINARY CHECK

CHECK is one of:
  golden-text, golden-openmetrics  our bytes equal prometheus_client's for the same scenarios; only
                                   `_created` values and exemplar timestamps (clock readings) are
                                   masked, and only where they look like what Python writes
  golden-no-created                the same with PROMETHEUS_DISABLE_CREATED_SERIES=True on both
                                   sides, nothing masked but exemplar timestamps
  created-switch                   PROMETHEUS_DISABLE_CREATED_SERIES values: _created is written
                                   exactly when prometheus_client's own rule says so
  promtool                         `promtool check metrics` on our text: no parse error, and only
                                   the lint remarks it makes on prometheus_client's own output
  parse-text, parse-openmetrics    prometheus_client's parsers read our output back into exactly the
                                   families, samples, labels, values (NaN- and sign-aware) and
                                   exemplars prometheus_client's registry holds; our `_created` and
                                   exemplar timestamps are clock readings taken during the run
  bucket-bounds                    `le` strings of exponential_buckets / linear_buckets equal
                                   floatToGoString of BentoML's own functions, cap of 100 included
  bucket-arguments                 arguments BentoML's functions reject are errors here too
  differences                      the documented differences from prometheus_client are exactly
                                   what differs in the `differences` scenario
Exit status 0 when the check holds; otherwise 1 and a unified diff or a message.
"""
import difflib
import os
import re
import subprocess
import sys
import time

# prometheus_client reads the switch when imported: the in-process reference is the default.
os.environ.pop("PROMETHEUS_DISABLE_CREATED_SERIES", None)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import python_scenario  # noqa: E402
from prometheus_client import metrics as client_metrics  # noqa: E402
from prometheus_client.openmetrics.parser import (  # noqa: E402
    text_string_to_metric_families as parse_openmetrics)
from prometheus_client.parser import text_string_to_metric_families as parse_text  # noqa: E402
from prometheus_client.utils import floatToGoString  # noqa: E402

PYTHON = "/usr/bin/python3"
FORMATS = ("text", "openmetrics")
# Scenarios compared byte for byte. `negative_buckets` is not given to the OpenMetrics parser:
# prometheus_client writes no _sum there and its own parser rejects that (_count without _sum).
GOLDEN_SCENARIOS = ("main", "negative_buckets")


def fail(message):
    sys.stdout.write(message.rstrip("\n") + "\n")
    sys.exit(1)


def run(command, env_overrides=None):
    """stdout of `command` as str (bytes decoded strictly: \\r in label values must survive)."""
    env = dict(os.environ)
    env.update(env_overrides or {})
    result = subprocess.run(command, capture_output=True, env=env, check=False)
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited with {result.returncode}:\n"
             f"{result.stderr.decode('utf-8', 'replace')}")
    return result.stdout.decode("utf-8")


def ours(binary, fmt, scenario="main", env=None):
    return run([binary, fmt, scenario], env)


def theirs(fmt, scenario="main", env=None):
    """prometheus_client's output: in process by default, in a child process with `env`."""
    if env is None:
        return python_scenario.exposition(fmt, scenario)
    return run([PYTHON, os.path.join(HERE, "python_scenario.py"), fmt, scenario], env)


def diff(expected, actual, expected_name="prometheus_client", actual_name="bentoml-metrics"):
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        expected_name, actual_name))


def assert_same(expected, actual, what):
    if expected != actual:
        fail(f"{what}: output differs from prometheus_client's\n"
             + diff(expected, actual))


# A `_created` value as floatToGoString writes time.time() (1.7955852999356346e+09), and an
# exemplar timestamp as Python's str(time.time()) (1795585299.9420683). Anything else stays
# visible to the comparison.
CREATED_VALUE = re.compile(r"^(\S+_created(?:\{.*\})?) [1-9](?:\.[0-9]+)?e\+09$", re.M)
EXEMPLAR_TIMESTAMP = re.compile(r"( # \{.*\} \S+) [0-9]+\.[0-9]+$", re.M)


def mask(text, created=True):
    if created:
        text = CREATED_VALUE.sub(r"\1 <created>", text)
    return EXEMPLAR_TIMESTAMP.sub(r"\1 <exemplar timestamp>", text)


def golden(binary, fmt):
    lines = 0
    for scenario in GOLDEN_SCENARIOS:
        actual = ours(binary, fmt, scenario)
        assert_same(mask(theirs(fmt, scenario)), mask(actual), f"{fmt}, scenario {scenario}")
        lines += actual.count("\n")
    print(f"golden {fmt}: {lines} lines identical to prometheus_client's (scenarios "
          f"{', '.join(GOLDEN_SCENARIOS)})")


def golden_no_created(binary):
    env = {"PROMETHEUS_DISABLE_CREATED_SERIES": "True"}
    for fmt in FORMATS:
        for scenario in GOLDEN_SCENARIOS:
            actual = ours(binary, fmt, scenario, env)
            expected = theirs(fmt, scenario, env)
            if "_created" in expected:
                fail("prometheus_client wrote _created although disabled: the reference is wrong")
            assert_same(mask(expected, created=False), mask(actual, created=False),
                        f"{fmt}, scenario {scenario}, PROMETHEUS_DISABLE_CREATED_SERIES=True")
    print("PROMETHEUS_DISABLE_CREATED_SERIES=True: both formats identical to prometheus_client's")


def created_switch(binary):
    values = ["True", "true", "TRUE", "tRuE", "t", "T", "1", "False", "false", "0", "", "yes",
              "on", " true", "true ", "2"]
    saved = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES")
    problems = []
    for value in values:
        os.environ["PROMETHEUS_DISABLE_CREATED_SERIES"] = value
        python_writes_created = client_metrics._get_use_created()  # prometheus_client's rule
        os.environ.pop("PROMETHEUS_DISABLE_CREATED_SERIES")
        for fmt in FORMATS:
            output = ours(binary, fmt, "main", {"PROMETHEUS_DISABLE_CREATED_SERIES": value})
            if ("_created" in output) != python_writes_created:
                problems.append(f"PROMETHEUS_DISABLE_CREATED_SERIES={value!r}, {fmt}: _created "
                                f"{'absent' if python_writes_created else 'present'}, "
                                f"prometheus_client would {'' if python_writes_created else 'not '}"
                                "write it")
    if saved is not None:
        os.environ["PROMETHEUS_DISABLE_CREATED_SERIES"] = saved
    if problems:
        fail("\n".join(problems))
    print(f"PROMETHEUS_DISABLE_CREATED_SERIES: {len(values)} values follow "
          "prometheus_client's rule")


# What promtool's linter says about names prometheus_client itself writes for this scenario.
# Parse errors are never accepted; lint remarks only these, and only if promtool makes the same
# ones on prometheus_client's output (checked below):
#   - `# HELP empty_help ` (an empty HELP, which prometheus_client writes as well): "no help text"
#   - job:requests:rate5m, a recording-rule style name, valid in the exposition formats: ':'
EXPECTED_LINT = {
    "main": {"empty_help no help text",
             "job:requests:rate5m metric names should not contain ':'"},
    "negative_buckets": set(),
}


def promtool_lint(text):
    """promtool's remarks on `text`; a failure on anything but lint remarks (exit status 3)."""
    result = subprocess.run(["promtool", "check", "metrics"], input=text.encode("utf-8"),
                            capture_output=True, check=False)
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    remarks = {line.strip() for line in output.splitlines() if line.strip()}
    if result.returncode not in (0, 3) or any("error" in line for line in remarks):
        fail(f"promtool check metrics failed ({result.returncode}):\n{output}")
    if (result.returncode == 0) != (not remarks):
        fail(f"promtool check metrics: exit status {result.returncode} with output:\n{output}")
    return remarks


def promtool(binary):
    for scenario in GOLDEN_SCENARIOS:
        for env in (None, {"PROMETHEUS_DISABLE_CREATED_SERIES": "True"}):
            remarks = promtool_lint(ours(binary, "text", scenario, env))
            reference = promtool_lint(theirs("text", scenario, env))
            if remarks != EXPECTED_LINT[scenario] or remarks != reference:
                fail(f"promtool check metrics, scenario {scenario}, env {env}:\n"
                     f"ours: {sorted(remarks)}\nprometheus_client's: {sorted(reference)}\n"
                     f"expected: {sorted(EXPECTED_LINT[scenario])}")
    print("promtool check metrics: no parse error; lint remarks only the expected ones, "
          "the same as on prometheus_client's output")


def number(value):
    """A parsed value as text: repr keeps NaN, -0.0 and every bit of a double visible."""
    return repr(float(value))


class Clock:
    """The window in which a run took its clock readings."""

    def __init__(self):
        self.start = time.time() - 1.0  # slack for clock granularity
        self.end = None

    def close(self):
        self.end = time.time() + 1.0

    def reading(self, value, what):
        value = float(value)
        if self.start <= value <= self.end:
            return f"<{what}>"
        return f"<{what} {value!r} not in [{self.start}, {self.end}]>"


def exemplar_text(exemplar, clock=None):
    if exemplar is None:
        return ""
    labels = sorted(exemplar.labels.items())
    if clock is None:
        stamp = "<exemplar timestamp>" if exemplar.timestamp is not None else "<no timestamp>"
    elif exemplar.timestamp is None:
        stamp = "<no timestamp>"
    else:
        stamp = clock.reading(exemplar.timestamp, "exemplar timestamp")
    return f"  # {labels!r} {number(exemplar.value)} {stamp}"


def family_lines(name, mtype, documentation, unit, samples, clock=None):
    """One line per family and sample, comparable between the parser and the registry."""
    lines = [f"family {name!r} type={mtype} unit={unit!r} help={documentation!r}\n"]
    for sample in samples:
        if sample.name.endswith("_created"):
            value = clock.reading(sample.value, "created") if clock else "<created>"
        else:
            value = number(sample.value)
        timestamp = "" if sample.timestamp is None else f" @{sample.timestamp}"
        lines.append(f"  {sample.name} {sorted(sample.labels.items())!r} {value}{timestamp}"
                     f"{exemplar_text(sample.exemplar, clock)}\n")
    return lines


def registry_lines(registry, fmt):
    """What prometheus_client's registry holds, as each format's parser presents it: in text
    0.0.4 the `_created` samples are a separate gauge family and there are no units or
    exemplars."""
    lines = []
    for metric in registry.collect():
        if fmt == "openmetrics":
            lines += family_lines(metric.name, metric.type, metric.documentation, metric.unit,
                                  metric.samples)
            continue
        created_name = metric.name + "_created"
        main = [s._replace(exemplar=None) for s in metric.samples if s.name != created_name]
        created = [s for s in metric.samples if s.name == created_name]
        # Text 0.0.4 has no info or stateset: prometheus_client writes both as gauges, an info
        # family under its sample name `<name>_info`.
        name, kind = metric.name, metric.type
        if kind == "info":
            name, kind = name + "_info", "gauge"
        elif kind == "stateset":
            kind = "gauge"
        lines += family_lines(name, kind, metric.documentation, "", main)
        if created:
            lines += family_lines(created_name, "gauge", metric.documentation, "", created)
    return lines


def parse(binary, fmt):
    parser = parse_openmetrics if fmt == "openmetrics" else parse_text
    scenarios = ("main",) if fmt == "openmetrics" else GOLDEN_SCENARIOS
    families = samples = exemplars = 0
    for scenario in scenarios:
        clock = Clock()
        text = ours(binary, fmt, scenario)
        clock.close()
        try:
            parsed = list(parser(text))
        except Exception as error:  # noqa: BLE001 - any parser complaint is the finding
            fail(f"prometheus_client's {fmt} parser rejects our output ({scenario}): {error!r}")
        actual = []
        for family in parsed:
            actual += family_lines(family.name, family.type, family.documentation,
                                   getattr(family, "unit", "") or "", family.samples, clock)
        # The registry's own values; our clock readings must fall in the run's window.
        expected = registry_lines(python_scenario.SCENARIOS[scenario](), fmt)
        if expected != actual:
            fail(f"{fmt}, scenario {scenario}: parsed back, our output differs from what "
                 f"prometheus_client's registry holds\n"
                 + "".join(difflib.unified_diff(expected, actual, "prometheus_client registry",
                                                "parsed bentoml-metrics output")))
        families += len(parsed)
        samples += sum(len(f.samples) for f in parsed)
        exemplars += sum(1 for f in parsed for s in f.samples if s.exemplar is not None)
    if fmt == "openmetrics" and exemplars != 6:
        fail(f"expected 6 exemplars parsed back, got {exemplars}")
    with_exemplars = f", {exemplars} exemplars" if fmt == "openmetrics" else ""
    print(f"parse {fmt}: {families} families, {samples} samples{with_exemplars} equal to what "
          f"prometheus_client's registry holds")


# (kind, start, factor or step, end), as strings: both sides turn the same text into a double.
BUCKET_CASES = [
    ("exponential", "0.001", "1.5", "10.0"),  # BentoML's guide
    ("exponential", "1e-06", "1.01", "1000000.0"),  # more than 100 bounds: capped
    ("exponential", "1000", "10", "1e16"),  # Go-style exponents, prometheus_client's "e+0"
    ("exponential", "1", "10", "1e+20"),
    ("exponential", "0.3", "1.1", "1000"),
    ("exponential", "0.005", "2", "100"),
    ("exponential", "2.5e-05", "3", "7"),
    ("linear", "0.1", "0.1", "1.0"),  # 0.30000000000000004, 0.9999999999999999 < 1.0
    ("linear", "1", "1", "150"),  # more than 100 bounds: capped
    ("linear", "0.05", "0.05", "0.3"),
    ("linear", "0.001", "0.001", "0.01"),
    ("linear", "100", "0.5", "110"),
]
LE = re.compile(r'^bounds_bucket\{le="([^"]*)"\} ', re.M)


def bentoml_buckets(kind, start, middle, end):
    function = (python_scenario.exponential_buckets if kind == "exponential"
                else python_scenario.linear_buckets)
    return function(float(start), float(middle), float(end))


def bucket_bounds(binary):
    problems = []
    for case in BUCKET_CASES:
        expected = [floatToGoString(bound) for bound in bentoml_buckets(*case)]
        actual = LE.findall(run([binary, "buckets", *case]))
        if expected != actual:
            problems.append(f"{case[0]}_buckets({', '.join(case[1:])}): {len(actual)} bounds, "
                            f"expected {len(expected)}\n"
                            + diff("\n".join(expected) + "\n", "\n".join(actual) + "\n",
                                   "BentoML + floatToGoString", "bentoml-metrics le"))
    guide = LE.findall(run([binary, "buckets", *BUCKET_CASES[0]]))
    if len(guide) != 25 or guide[:3] != ["0.001", "0.0015", "0.0022500000000000003"] \
            or guide[-2:] != ["10.0", "+Inf"]:
        problems.append(f"exponential_buckets(0.001, 1.5, 10.0): {guide}")
    if problems:
        fail("\n".join(problems))
    print(f"bucket bounds: {len(BUCKET_CASES)} cases, every le string equal to BentoML's")


# Every assertion of BentoML's exponential_buckets and linear_buckets, violated once.
REJECTED_BUCKET_ARGUMENTS = [
    ("exponential", "0", "1.5", "10"), ("exponential", "-1", "1.5", "10"),
    ("exponential", "1", "1", "10"), ("exponential", "1", "0.5", "10"),
    ("exponential", "10", "1.5", "10"), ("exponential", "10", "1.5", "1"),
    ("linear", "0", "0.1", "0.5"), ("linear", "-1", "1", "5"),
    ("linear", "1", "0", "5"), ("linear", "1", "-1", "5"),
    ("linear", "5", "1", "5"), ("linear", "6", "1", "5"),
]


def bucket_arguments(binary):
    problems = []
    for case in REJECTED_BUCKET_ARGUMENTS:
        try:
            bentoml_buckets(*case)
            fail(f"BentoML's function accepts {case}: the reference is wrong")
        except AssertionError:
            pass
        result = subprocess.run([binary, "buckets", *case], capture_output=True, check=False)
        if result.returncode == 0:
            problems.append(f"{case[0]}_buckets({', '.join(case[1:])}) is accepted; BentoML "
                            "asserts start > 0, start < end and factor > 1 / step > 0")
    if problems:
        fail("\n".join(problems))
    print(f"bucket arguments: the {len(REJECTED_BUCKET_ARGUMENTS)} cases BentoML rejects are "
          "errors")


# The documented differences (docs/design.md, README "Decisions"), as edits of prometheus_client's
# output that must give ours exactly. Each `old` must occur exactly once in Python's output.
DIFFERENCES = [
    # Counters past 2^53 are exact integers (Python's float loses the +1).
    ("exact_total 9.007199254740992e+015\n", "exact_total 9007199254740993.0\n"),
    # A NaN observation is counted in +Inf (prometheus_client counts it nowhere); _sum NaN in both.
    ('nan_observed_bucket{le="+Inf"} 1.0\nnan_observed_count 1.0\n',
     'nan_observed_bucket{le="+Inf"} 2.0\nnan_observed_count 2.0\n'),
    # labels() of a removed label set revives the same child, in its place and with its value
    # (prometheus_client starts a new child at zero, after the others).
    ('revived_total{k="b"} 2.0\nrevived_total{k="a"} 1.0\n',
     'revived_total{k="a"} 6.0\nrevived_total{k="b"} 2.0\n'),
    # inc(NaN) is an error that records nothing (prometheus_client makes the counter NaN).
    ("nan_increment_total NaN\n", "nan_increment_total 1.0\n"),
]


def differences(binary):
    env = {"PROMETHEUS_DISABLE_CREATED_SERIES": "True"}
    for fmt in FORMATS:
        expected = theirs(fmt, "differences", env)
        for old, new in DIFFERENCES:
            if expected.count(old) != 1:
                fail(f"{fmt}: prometheus_client no longer writes {old!r}; update DIFFERENCES")
            expected = expected.replace(old, new)
        assert_same(expected, ours(binary, fmt, "differences", env),
                    f"{fmt}, scenario differences (prometheus_client's output with the documented "
                    "differences applied)")
    print(f"differences: exactly the {len(DIFFERENCES)} documented ones, in both formats")


CHECKS = {
    "golden-text": lambda binary: golden(binary, "text"),
    "golden-openmetrics": lambda binary: golden(binary, "openmetrics"),
    "golden-no-created": golden_no_created,
    "created-switch": created_switch,
    "promtool": promtool,
    "parse-text": lambda binary: parse(binary, "text"),
    "parse-openmetrics": lambda binary: parse(binary, "openmetrics"),
    "bucket-bounds": bucket_bounds,
    "bucket-arguments": bucket_arguments,
    "differences": differences,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CHECKS:
        fail(f"usage: {sys.argv[0]} SCENARIO_BINARY {{{'|'.join(CHECKS)}}}")
    CHECKS[sys.argv[2]](sys.argv[1])


if __name__ == "__main__":
    main()
