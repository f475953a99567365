"""Prints bench/run's table from its results folder: medians, ratios, memory, instructions,
HTTP scrapes, and the performance targets (met or missed, by how much)."""
import json
import os
import re
import sys

results = sys.argv[1]


def read(name):
    path = os.path.join(results, name)
    return open(path).read() if os.path.exists(path) else None


# ---- metrics_bench: medians ---------------------------------------------------------------------

medians = {}  # (workload, library, detail) -> (time, unit, counters)
order = []
for entry in json.loads(read("bench.json"))["benchmarks"]:
    # With one repetition there are no aggregates: the single run stands for the median.
    if entry.get("aggregate_name", "median") != "median":
        continue
    parts = [p for p in entry["run_name"].split("/")
             if not p.startswith("iterations:") and p != "real_time"]
    workload, library = parts[0], parts[1] if len(parts) > 1 else ""
    detail = "/".join(parts[2:])
    if workload.startswith("baseline_"):
        library, detail = "", "/".join(parts[1:])
    detail = detail.replace("threads:", "") or "1"
    counters = {k: entry[k] for k in ("allocs_per_op", "scrape_ms", "bytes") if k in entry}
    medians[(workload, library, detail)] = (entry["real_time"], entry["time_unit"], counters)
    if (workload, detail) not in order:
        order.append((workload, detail))


def time_of(workload, library, detail):
    found = medians.get((workload, library, detail))
    return found[0] if found else None


def partner(workload):
    """prometheus-cpp's row for `workload` (a `_no_created` variant compares with the plain one)."""
    return workload.replace("_no_created", "")


print("Medians, real time per op (2 threads: wall time / ops of both threads); speed-up ="
      " prometheus-cpp / ours; vs atomic = ours / baseline_atomic_add at the same thread count")
print(f"{'workload':<28}{'threads/N':>10}{'ours':>12}{'prom-cpp':>12}{'speed-up':>10}"
      f"{'vs atomic':>11}  notes")
for workload, detail in order:
    if workload.startswith("baseline_"):
        time, unit, _ = medians[(workload, "", detail)]
        atomic = time_of("baseline_atomic_add", "", detail)
        row = f"{workload:<28}{detail:>10}{time:>10.2f}{unit:<2}"
        if workload != "baseline_atomic_add" and atomic:
            row += " " * 22 + f"{time / atomic:>10.2f}x"
        print(row)
        continue
    ours = medians.get((workload, "ours", detail))
    if ours is None:
        continue
    time, unit, counters = ours
    theirs = medians.get((partner(workload), "prometheus_cpp", detail))
    row = f"{workload:<28}{detail:>10}{time:>10.3g}{unit:<2}"
    if theirs:
        row += f"{theirs[0]:>10.3g}{unit:<2}{theirs[0] / time:>9.1f}x"
    else:
        row += " " * 22
    baseline = time_of("baseline_atomic_add", "", detail)
    if baseline and unit == "ns" and detail in ("1", "2"):
        row += f"{time / baseline:>10.2f}x"
    else:
        row += " " * 11
    notes = [f"{k}={v:.3g}" for k, v in counters.items()]
    if workload == "summary_observe" and theirs:
        notes.append("prom-cpp keeps 3 quantiles, ours none (count and sum)")
    if workload in ("summary_quantiles_observe", "scrape_summaries") and theirs:
        notes.append("both: 3 quantiles, 10 min window in 5 age buckets")
    if theirs:
        notes += [f"prom-cpp {k}={v:.3g}" for k, v in theirs[2].items()]
    print(row + "  " + ", ".join(notes))

# ---- memory, instructions, http ----------------------------------------------------------------

memory = {}
text = read("memory.txt")
if text:
    print()
    print(text.rstrip())
    for line in text.splitlines()[1:]:
        kind, ours, theirs, _ = line.split()
        memory[kind] = (float(ours), float(theirs))

text = read("instructions.txt")
counts = {}
if text:
    for line in text.splitlines():
        library, workload, count = line.split()
        counts.setdefault(workload, {})[library] = int(count)
    print()
    print("instructions per op (callgrind, one thread)   ours  prometheus-cpp  ratio")
    for workload, by_library in counts.items():
        ours, theirs = by_library.get("ours"), by_library.get("prometheus_cpp")
        print(f"  {workload:<43}{ours:>6}{theirs:>16}  {theirs / ours:5.1f}x")

text = read("wrk.txt")
http = {}
if text:
    print()
    print("http_scrape: wrk -t1 -c4, 10,000 counter series")
    for block in text.split("== ")[1:]:
        title = block.splitlines()[0]
        rate = re.search(r"Requests/sec:\s+([\d.]+)", block)
        p50 = re.search(r"^\s*50%\s+(\S+)", block, re.M)
        p99 = re.search(r"^\s*99%\s+(\S+)", block, re.M)
        if not (rate and p50 and p99):
            print(f"  {title:<22} no result")
            continue
        transfer = re.search(r"Transfer/sec:\s+(\S+)", block).group(1)
        errors = "Non-2xx" in block or "Socket errors" in block
        http[title] = (float(rate.group(1)), p50.group(1), p99.group(1))
        print(f"  {title:<22} {http[title][0]:>9.1f} req/s  p50 {http[title][1]:>8}  "
              f"p99 {http[title][2]:>8}  {transfer}/s" + ("  ERRORS" if errors else ""))
    for encoding in ("plain", "gzip"):
        ours, theirs = http.get(f"ours {encoding}"), http.get(f"prometheus_cpp {encoding}")
        if ours and theirs:
            print(f"  {encoding}: {ours[0] / theirs[0]:.1f}x the requests/s of prometheus-cpp")

# ---- performance targets -----------------------------------------------------------------------

print()
print("Performance targets (this run)")


def target(name, measured, goal, met, shown):
    if measured is None:
        print(f"  {name:<58} not measured")
        return
    print(f"  {name:<58} {shown:<24} goal {goal:<10} {'met' if met else 'MISSED'}")


def speedup(workload, detail):
    ours = time_of(workload, "ours", detail)
    theirs = time_of(workload, "prometheus_cpp", detail)
    return theirs / ours if ours and theirs else None


ours = time_of("counter_inc", "ours", "1")
base = time_of("baseline_atomic_add", "", "1")
ratio = ours / base if ours and base else None
target("counter_inc, 1 thread: ours / shared fetch_add", ratio, "<= 1.1x",
       ratio is not None and ratio <= 1.1, f"{ratio:.2f}x" if ratio else "")
for workload, detail, goal in (("counter_inc", "2", 4), ("histogram_observe", "1", 2),
                               ("histogram_observe", "2", 4), ("labels_observe", "1", 10),
                               ("labels_observe", "2", 15), ("scrape_counters", "100000", 8),
                               ("scrape_histograms", "100000", 8),
                               ("summary_quantiles_observe", "1", 20),
                               ("scrape_summaries", "1000", 5)):
    ratio = speedup(workload, detail)
    target(f"{workload} ({detail}): speed-up over prometheus-cpp", ratio, f">= {goal}x",
           ratio is not None and ratio >= goal, f"{ratio:.1f}x" if ratio else "")
for detail in ("1", "2"):
    found = medians.get(("labels_observe", "ours", detail))
    allocs = found[2].get("allocs_per_op") if found else None
    target(f"labels_observe ({detail}): allocations per op", allocs, "0",
           allocs is not None and allocs < 1e-3, f"{allocs:.3g}" if allocs is not None else "")
alone = time_of("histogram_observe", "ours", "1")
scraped = time_of("scrape_while_recording", "ours", "1")
ratio = scraped / alone if alone and scraped else None
target("scrape_while_recording: observe slows by", ratio, "< 2x",
       ratio is not None and ratio < 2,
       f"{ratio:.2f}x ({alone:.3g} -> {scraped:.3g} ns)" if ratio else "")
summary = time_of("summary_observe", "ours", "1")
ratio = summary / alone if summary and alone else None
target("summary_observe (no quantiles) / histogram_observe (1)", ratio, "<= 1x",
       ratio is not None and ratio <= 1.05, f"{ratio:.2f}x" if ratio else "")
for kind in ("counter", "histogram"):
    found = memory.get(kind)
    ratio = found[0] / found[1] if found else None
    target(f"bytes per {kind} child: ours / prometheus-cpp", ratio, "<= 0.5x",
           ratio is not None and ratio <= 0.5,
           f"{ratio:.2f}x ({found[0]:.0f} / {found[1]:.0f})" if found else "")

# ---- targets of "below the cost of one atomic" ------------------------------------------------

print()
print("Targets: below the cost of one atomic (this run)")


def ratio_of(numerator, denominator):
    return numerator / denominator if numerator and denominator else None


for workload, goal in (("counter_inc", 0.5), ("histogram_observe", 1.0)):
    ratio = ratio_of(time_of(workload, "ours", "1"), time_of("baseline_atomic_add", "", "1"))
    target(f"{workload}, 1 thread: ours / shared fetch_add", ratio, f"<= {goal}x",
           ratio is not None and ratio <= goal, f"{ratio:.2f}x" if ratio else "")
floor = ratio_of(time_of("baseline_exact_sum", "", "1"), time_of("baseline_atomic_add", "", "1"))
if floor:
    print(f"  {'histogram_observe floor: an exact _sum alone / fetch_add':<58} {floor:.2f}x"
          "  (baseline_exact_sum: no histogram keeping prometheus_client's _sum goes below)")
for workload, goal in (("histogram_observe", 60), ("labels_observe", 200)):
    count = counts.get(workload, {}).get("ours")
    target(f"{workload}: instructions per op", count, f"<= {goal}",
           count is not None and count <= goal, str(count))
for workload, detail, goal in (("labels_observe", "1", 20), ("scrape_counters", "100000", 8)):
    ratio = speedup(workload, detail)
    target(f"{workload} ({detail}): speed-up over prometheus-cpp", ratio, f">= {goal}x",
           ratio is not None and ratio >= goal, f"{ratio:.1f}x" if ratio else "")
fresh = time_of("generate_latest_counters", "ours", "100000")
reused = time_of("scrape_counters", "ours", "100000")
floor = time_of("generate_latest_counters", "floor", "100000")
ratio = ratio_of(fresh, reused + floor if reused and floor else None)
target("generate_latest (100000) / (reused-buffer scrape + floor)", ratio, "<= 1.2x",
       ratio is not None and ratio <= 1.2,
       f"{ratio:.2f}x ({fresh:.3g} / {reused:.3g} + {floor:.2g} ms)" if ratio else "")
ours, theirs = http.get("ours gzip"), http.get("prometheus_cpp gzip")
ratio = ours[0] / theirs[0] if ours and theirs else None
target("http_scrape gzip: requests/s over prometheus-cpp", ratio, ">= 10x",
       ratio is not None and ratio >= 10, f"{ratio:.1f}x" if ratio else "")
for kind, goal in (("counter", 0.45), ("histogram", 0.75)):
    found = memory.get(kind)
    ratio = found[0] / found[1] if found else None
    target(f"bytes per {kind} child: ours / prometheus-cpp", ratio, f"<= {goal}x",
           ratio is not None and ratio <= goal,
           f"{ratio:.2f}x ({found[0]:.0f} / {found[1]:.0f})" if found else "")

# ---- multiprocess mode ---------------------------------------------------------------

print()
print("Multiprocess mode: recording into the mapped files / recording in process memory")
print(f"  {'workload':<22}{'threads':>8}{'single':>11}{'multiproc':>12}{'ratio':>8}")
for workload in ("counter_inc", "gauge_set", "histogram_observe", "summary_observe"):
    for detail in ("1", "2"):
        single = time_of(workload, "ours", detail)
        multi = time_of("multiprocess_" + workload, "ours", detail)
        if single and multi:
            print(f"  {workload:<22}{detail:>8}{single:>9.3g}ns{multi:>10.3g}ns{multi / single:>7.2f}x")
for workload in ("counter_inc", "gauge_set", "histogram_observe", "summary_observe"):
    single = time_of(workload, "ours", "1")
    multi = time_of("multiprocess_" + workload, "ours", "1")
    ratio = multi / single if single and multi else None
    target(f"multiprocess {workload} (1) / single-process", ratio, "<= 2x",
           ratio is not None and ratio <= 2, f"{ratio:.2f}x" if ratio else "")
text = read("multiprocess_aggregate.txt")
if text:
    print()
    print(text.rstrip())
    found = re.search(r"speed-up: cold ([\d.]+)x, warm ([\d.]+)x", text)
    for index, kind in ((1, "cold (fresh aggregator)"), (2, "warm (MultiProcessCollector)")):
        ratio = float(found.group(index)) if found else None
        target(f"aggregate 8 x 10,000 series, {kind}: speed-up over Python", ratio, ">= 20x",
               ratio is not None and ratio >= 20, f"{ratio:.1f}x" if ratio else "")
