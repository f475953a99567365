"""Prints bench/run's table from its results folder: medians, ratios, memory, instructions,
HTTP scrapes."""
import json
import os
import re
import sys

results = sys.argv[1]
with open(os.path.join(results, "bench.json")) as f:
    benchmarks = json.load(f)["benchmarks"]

medians = {}
counters = {}
for entry in benchmarks:
    if entry.get("aggregate_name", "median") != "median":
        continue
    name = entry["run_name"]
    medians[name] = entry["real_time"], entry["time_unit"]
    counters[name] = {k: v for k, v in entry.items()
                      if k in ("allocs_per_op", "scrape_ms", "bytes")}


def key(workload, library, suffix):
    return f"{workload}/{library}{suffix}"


def split(name):
    """'counter_inc/ours/real_time/threads:2' -> ('counter_inc', 'ours', '/real_time/threads:2')"""
    parts = [part for part in name.split("/") if not part.startswith("iterations:")]
    return parts[0], parts[1], "/" + "/".join(parts[2:])


print(f"{'workload':<34}{'threads/N':>10}{'ours':>12}{'prom-cpp':>12}{'speed-up':>10}"
      f"{'vs atomic':>11}  notes")
baseline = {}
for name, (time, _) in medians.items():
    if name.startswith("baseline_atomic_add"):
        baseline[name.split("threads:")[1]] = time
for threads, time in sorted(baseline.items()):
    print(f"{'baseline_atomic_add':<34}{threads:>10}{time:>10.2f}ns")
seen = set()
for name in medians:
    if "/ours" not in name:
        continue
    workload, _, suffix = split(name)
    ours, unit = medians[name]
    theirs = next((medians[other] for other in medians
                   if other != name and split(other) == (workload, "prometheus_cpp", suffix)), None)
    detail = suffix.replace("/real_time", "").strip("/")
    threads = detail.split("threads:")[1] if "threads:" in detail else detail or "1"
    unit = "ns" if unit == "ns" else unit
    row = f"{workload:<34}{threads:>10}{ours:>10.2f}{unit:<2}"
    if theirs:
        row += f"{theirs[0]:>10.2f}{unit:<2}{theirs[0] / ours:>9.1f}x"
    else:
        row += " " * 22
    if threads in baseline and unit == "ns":
        row += f"{ours / baseline[threads]:>10.2f}x"
    else:
        row += " " * 11
    notes = []
    for label, value in counters[name].items():
        notes.append(f"{label}={value:.3g}")
    if theirs:
        their_name = next(other for other in medians
                          if split(other) == (workload, "prometheus_cpp", suffix))
        for label, value in counters[their_name].items():
            notes.append(f"prom-cpp {label}={value:.3g}")
    print(row + "  " + ", ".join(notes))

print()
print(open(os.path.join(results, "memory.txt")).read().rstrip())
print()
print("instructions per op (callgrind, single thread)")
print(open(os.path.join(results, "instructions.txt")).read().rstrip())
print()
print("http_scrape: wrk -t1 -c4, 10,000 counter series")
wrk = open(os.path.join(results, "wrk.txt")).read()
rows = {}
for block in wrk.split("== ")[1:]:
    title = block.splitlines()[0]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", block).group(1))
    p50 = re.search(r"50%\s+(\S+)", block).group(1)
    p99 = re.search(r"99%\s+(\S+)", block).group(1)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", block).group(1)
    errors = "Non-2xx" in block or "Socket errors" in block
    rows[title] = (rate, p50, p99)
    print(f"  {title:<22} {rate:>9.1f} req/s  p50 {p50:>8}  p99 {p99:>8}  {transfer}/s"
          + ("  ERRORS" if errors else ""))
for encoding in ("plain", "gzip"):
    ours, theirs = rows.get(f"ours {encoding}"), rows.get(f"prometheus_cpp {encoding}")
    if ours and theirs:
        print(f"  {encoding}: {ours[0] / theirs[0]:.1f}x the requests/s of prometheus-cpp")
