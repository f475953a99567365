"""prometheus_client's two parsers judge what fuzz_exposition wrote.

    check_dump.py DUMP_FILE

DUMP_FILE holds one JSON line per input run by fuzz_exposition with BENTOML_FUZZ_DUMP set (bytes
as hex). For each: both expositions decode as UTF-8, prometheus_client's text and OpenMetrics
parsers read them, and every accepted label value, gauge value and exemplar comes back exactly.
Exits 1 on the first failure, printing the input; else prints one summary line.
"""
import json
import math
import struct
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics)
from prometheus_client.parser import text_string_to_metric_families as parse_text


def same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def check(record):
    raw = {key: bytes.fromhex(value) for key, value in record.items() if isinstance(value, str)}
    value = struct.unpack("<d", raw["value"])[0]
    for fmt, parse in (("text", parse_text), ("openmetrics", parse_openmetrics)):
        text = raw[fmt].decode("utf-8")  # raises on invalid UTF-8
        samples = {}
        for family in parse(text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample)
        if record["counter"]:
            a, b = raw["a"].decode("utf-8"), raw["b"].decode("utf-8")
            found = [s for s in samples.get("c_total", []) if s.labels == {"a": a, "b": b}]
            assert len(found) == 1, f"{fmt}: counter child not read back"
            if fmt == "openmetrics" and record["counter_exemplar"]:
                name = raw["exemplar_name"].decode()
                exemplar = found[0].exemplar
                assert exemplar is not None and exemplar.labels == {
                    name: raw["exemplar_value"].decode("utf-8")}, f"{fmt}: exemplar {exemplar}"
        if record["gauge"]:
            found = [s for s in samples.get("g", []) if s.labels == {"a": raw["b"].decode()}]
            assert len(found) == 1, f"{fmt}: gauge child not read back"
            assert same_float(found[0].value, value), f"{fmt}: gauge {found[0].value} != {value}"
        if record["histogram"]:
            found = [s for s in samples.get("h_bucket", [])
                     if s.labels == {"a": raw["a"].decode(), "le": "+Inf"}]
            assert len(found) == 1, f"{fmt}: histogram child not read back"
        families = list(parse(text))
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
