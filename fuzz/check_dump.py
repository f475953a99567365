"""prometheus_client's two parsers judge what fuzz_exposition wrote.

    check_dump.py DUMP_FILE

DUMP_FILE holds one JSON line per input run by fuzz_exposition with BENTOML_FUZZ_DUMP set (bytes
as hex). For each: both expositions decode as UTF-8, prometheus_client's text and OpenMetrics
parsers read them, and every accepted label value, gauge value and exemplar comes back exactly.
Exits 1 on the first failure, printing the input; else prints one summary line.

One limit of prometheus_client 0.16's OpenMetrics parser is allowed for, and only after proving it
is the parser's: its exemplar scan ends at the first '}', even one inside a quoted label value, so
it refuses prometheus_client's own exposition of such an exemplar. For those inputs the exemplar's
labels are checked byte for byte against prometheus_client's rendering of them, then cut from the
text, and the parser reads the rest.
"""
import json
import math
import struct
import sys

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_of
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics)
from prometheus_client.parser import text_string_to_metric_families as parse_text


def same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def refused_own_exemplar(name, value):
    """prometheus_client's rendering of the exemplar labels {name: value} (`{...}`, between " # "
    and the exemplar's value) when its OpenMetrics parser refuses its own exposition of them;
    None when it reads them."""
    registry = CollectorRegistry()
    Counter("c", "c", registry=registry).inc(1, {name: value})
    exposition = openmetrics_of(registry).decode("utf-8")
    try:
        list(parse_openmetrics(exposition))
        return None
    except ValueError:
        pass
    line = next(line for line in exposition.split("\n") if line.startswith("c_total "))
    return line.split(" # ", 1)[1].rsplit(" ", 2)[0]  # without the value and the timestamp


def cut_exemplars(text, labels, sample_names):
    """The text with the exemplar whose labels render as `labels` cut from each line of
    sample_names; fails unless every one of those lines holds it exactly so."""
    lines = text.split("\n")
    marker = f" # {labels} "
    for name in sample_names:
        holders = [i for i, line in enumerate(lines)
                   if line.startswith(name + "{") and marker in line]
        assert holders, f"openmetrics: no {name} line holds the exemplar {labels}"
        for i in holders:
            lines[i] = lines[i][:lines[i].rfind(marker)]
    return "\n".join(lines)


def check(record):
    raw = {key: bytes.fromhex(value) for key, value in record.items() if isinstance(value, str)}
    value = struct.unpack("<d", raw["value"])[0]
    exemplar = None  # the exemplar's labels, when one was recorded
    if record["counter_exemplar"] or record["histogram_exemplar"]:
        exemplar_name = raw["exemplar_name"].decode("utf-8")
        exemplar_value = raw["exemplar_value"].decode("utf-8")
        exemplar = {exemplar_name: exemplar_value}
    for fmt, parse in (("text", parse_text), ("openmetrics", parse_openmetrics)):
        text = raw[fmt].decode("utf-8")  # raises on invalid UTF-8
        exemplar_checked = False
        if fmt == "openmetrics" and exemplar is not None and "}" in exemplar_value:
            rendered = refused_own_exemplar(exemplar_name, exemplar_value)
            if rendered is not None:
                names = (["c_total"] if record["counter_exemplar"] else []) + \
                        (["h_bucket"] if record["histogram_exemplar"] else [])
                text = cut_exemplars(text, rendered, names)
                exemplar_checked = True
        families = list(parse(text))
        samples = {}
        for family in families:
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample)
        if record["counter"]:
            a, b = raw["a"].decode("utf-8"), raw["b"].decode("utf-8")
            found = [s for s in samples.get("c_total", []) if s.labels == {"a": a, "b": b}]
            assert len(found) == 1, f"{fmt}: counter child not read back"
            if fmt == "openmetrics" and record["counter_exemplar"] and not exemplar_checked:
                held = found[0].exemplar
                assert held is not None and held.labels == exemplar, f"{fmt}: exemplar {held}"
        if record["gauge"]:
            found = [s for s in samples.get("g", []) if s.labels == {"a": raw["b"].decode()}]
            assert len(found) == 1, f"{fmt}: gauge child not read back"
            assert same_float(found[0].value, value), f"{fmt}: gauge {found[0].value} != {value}"
        if record["histogram"]:
            found = [s for s in samples.get("h_bucket", [])
                     if s.labels == {"a": raw["a"].decode(), "le": "+Inf"}]
            assert len(found) == 1, f"{fmt}: histogram child not read back"
            if fmt == "openmetrics" and record["histogram_exemplar"] and not exemplar_checked:
                held = [s.exemplar for s in samples["h_bucket"]
                        if s.labels.get("a") == raw["a"].decode() and s.exemplar is not None]
                assert [e.labels for e in held] == [exemplar], f"{fmt}: exemplars {held}"
        help_text = [f.documentation for f in families if f.name == "c"]
        if record["counter"] and fmt == "text":
            # The text parser drops the blanks around HELP text (they split the line).
            assert [h.strip() for h in help_text] == [raw["help"].decode("utf-8").strip()], \
                f"HELP {help_text!r}"


def main():
    count = 0
    with open(sys.argv[1]) as dump:
        for line in dump:
            record = json.loads(line)
            try:
                check(record)
            except Exception as error:  # noqa: BLE001: any failure is a finding
                print(f"prometheus_client disagrees ({type(error).__name__}: {error}) on input:")
                print(json.dumps({k: bytes.fromhex(v).decode("latin-1") if isinstance(v, str)
                                  and k not in ("text", "openmetrics") else v
                                  for k, v in record.items()}))
                for fmt in ("text", "openmetrics"):
                    print(f"--- {fmt}\n" + bytes.fromhex(record[fmt]).decode("utf-8", "replace"))
                return 1
            count += 1
    print(f"prometheus_client's parsers read all {count} expositions back exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
