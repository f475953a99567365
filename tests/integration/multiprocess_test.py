"""Multiprocess mode across languages, judged by Debian's prometheus_client 0.16 itself:
- the files a C++ process writes are byte for byte those a Python process writes for the same
  metrics and operations;
- Python's MultiProcessCollector + generate_latest and ours agree on directories written by C++,
  by Python, and by both (every sample line, in both exposition formats), also after
  mark_process_dead;
- prometheus_client 0.18's timestamped layout (reproduced from its mmap_dict.py, since Debian has
  0.16): our files in that layout read back with its algorithm, and its files (mostrecent gauges
  included) aggregate here as 0.18 aggregates them.
Run with /usr/bin/python3; MULTIPROCESS_TOOL names the C++ tool (multiprocess_tool.cpp)."""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.exposition import generate_latest
from prometheus_client.mmap_dict import mmap_key
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

TOOL = os.environ["MULTIPROCESS_TOOL"]
HERE = os.path.dirname(os.path.abspath(__file__))
PREFIXES = ["counter", "histogram", "summary"] + [
    "gauge_" + mode
    for mode in ("all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum")]


def run_python_scenario(directory):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory)
    output = subprocess.run([sys.executable, os.path.join(HERE, "multiprocess_scenario.py")],
                            env=env, check=True, capture_output=True, text=True, timeout=60)
    return output.stdout.strip()


def run_cpp_scenario(directory, layout=None):
    command = [TOOL, "scenario", directory] + ([layout] if layout else [])
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True,
                            timeout=60)
    return output.stdout.strip()


def python_aggregate(directory, openmetrics=False):
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return (generate_openmetrics if openmetrics else generate_latest)(registry).decode()


def cpp_aggregate(directory, openmetrics=False):
    command = [TOOL, "aggregate", directory] + (["openmetrics"] if openmetrics else [])
    return subprocess.run(command, check=True, capture_output=True, timeout=60).stdout.decode()


def read_018(data):
    """prometheus_client 0.18's _read_all_values: (key, value, timestamp) of each entry."""
    used = struct.unpack_from("i", data, 0)[0]
    pos = 8
    while pos < used:
        encoded_len = struct.unpack_from("i", data, pos)[0]
        if encoded_len + pos > used:
            raise RuntimeError("Read beyond file size detected, file is corrupted.")
        pos += 4
        key = data[pos:pos + encoded_len].decode("utf-8")
        pos += encoded_len + (8 - (encoded_len + 4) % 8)
        value, timestamp = struct.unpack_from("dd", data, pos)
        yield key, value, timestamp
        pos += 16


def write_018(path, entries):
    """A file as prometheus_client 0.18's MmapedDict writes it: (key, value, timestamp) each."""
    data = bytearray(1 << 16)
    used = 8
    for key, value, timestamp in entries:
        encoded = key.encode("utf-8")
        padded = encoded + b" " * (8 - (len(encoded) + 4) % 8)
        entry = struct.pack(f"i{len(padded)}sdd", len(encoded), padded, value, timestamp)
        data[used:used + len(entry)] = entry
        used += len(entry)
    struct.pack_into("i", data, 0, used)
    with open(path, "wb") as out:
        out.write(data)


class MultiprocessAcrossLanguages(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="bentoml-metrics-mp-py-")

    def tearDown(self):
        shutil.rmtree(self.root)

    def directory(self, name):
        path = os.path.join(self.root, name)
        os.mkdir(path)
        return path

    def assert_same_aggregate(self, directory):
        for openmetrics in (False, True):
            theirs = python_aggregate(directory, openmetrics)
            ours = cpp_aggregate(directory, openmetrics)
            # Same lines (samples, HELP, TYPE); the order of families and samples follows the
            # directory listing in Python and sorted file names here.
            self.assertEqual(sorted(ours.splitlines()), sorted(theirs.splitlines()),
                             f"openmetrics={openmetrics}\n--- ours\n{ours}\n--- python\n{theirs}")
            if openmetrics:
                self.assertTrue(ours.endswith("# EOF\n"))

    def test_environment_is_read_as_python_reads_it(self):
        """The upper-case variable wins whenever it is set, even empty (empty: off); the
        lower-case one counts only when the upper-case one is absent."""
        def directory_seen(**variables):
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")}
            env.update(variables)
            return subprocess.run([TOOL, "environment"], env=env, check=True,
                                  capture_output=True, text=True, timeout=60).stdout.strip()
        upper, lower = self.directory("upper"), self.directory("lower")
        self.assertEqual(directory_seen(), "")
        self.assertEqual(directory_seen(prometheus_multiproc_dir=lower), lower)
        self.assertEqual(directory_seen(PROMETHEUS_MULTIPROC_DIR=upper,
                                        prometheus_multiproc_dir=lower), upper)
        self.assertEqual(directory_seen(PROMETHEUS_MULTIPROC_DIR="",
                                        prometheus_multiproc_dir=lower), "")

    def test_files_are_byte_for_byte_those_python_writes(self):
        python_dir = self.directory("python")
        cpp_dir = self.directory("cpp")
        python_pid = run_python_scenario(python_dir)
        cpp_pid = run_cpp_scenario(cpp_dir)
        self.assertEqual(sorted(os.listdir(python_dir)),
                         sorted(f"{prefix}_{python_pid}.db" for prefix in PREFIXES))
        self.assertEqual(sorted(os.listdir(cpp_dir)),
                         sorted(f"{prefix}_{cpp_pid}.db" for prefix in PREFIXES))
        for prefix in PREFIXES:
            with open(os.path.join(python_dir, f"{prefix}_{python_pid}.db"), "rb") as theirs, \
                    open(os.path.join(cpp_dir, f"{prefix}_{cpp_pid}.db"), "rb") as ours:
                self.assertEqual(ours.read(), theirs.read(), prefix)

    def test_python_aggregates_cpp_files_as_we_do(self):
        directory = self.directory("cpp")
        run_cpp_scenario(directory)
        run_cpp_scenario(directory)
        self.assert_same_aggregate(directory)

    def test_we_aggregate_python_files_as_python_does(self):
        directory = self.directory("python")
        run_python_scenario(directory)
        run_python_scenario(directory)
        self.assert_same_aggregate(directory)

    def test_mixed_directory_and_mark_process_dead(self):
        directory = self.directory("mixed")
        python_pids = [run_python_scenario(directory) for _ in range(2)]
        cpp_pids = [run_cpp_scenario(directory) for _ in range(2)]
        self.assert_same_aggregate(directory)
        ours = cpp_aggregate(directory)
        # 4 processes: sums are 4x one process's, `all` gauges one line per pid.
        self.assertIn('mp_requests_total{code="500",path="/b"} 2.0', ours.splitlines())
        self.assertIn("mp_latency_count{route=\"/a\"} 12.0", ours.splitlines())
        for pid in python_pids + cpp_pids:
            self.assertIn(f'mp_g_all{{k="v",pid="{pid}"}} 1.5', ours.splitlines())
        multiprocess.mark_process_dead(int(python_pids[0]), directory)
        multiprocess.mark_process_dead(int(cpp_pids[1]), directory)
        self.assert_same_aggregate(directory)
        self.assertIn('mp_g_livesum{k="v"} 24.0', cpp_aggregate(directory).splitlines())

    def test_our_timestamped_layout_reads_as_prometheus_client_018_reads_it(self):
        plain = self.directory("plain")
        stamped = self.directory("stamped")
        plain_pid = run_cpp_scenario(plain)
        stamped_pid = run_cpp_scenario(stamped, "timestamped")
        for prefix in PREFIXES:
            with open(os.path.join(plain, f"{prefix}_{plain_pid}.db"), "rb") as one:
                expected = [(key, value) for key, value, _ in
                            multiprocess.MmapedDict.read_all_values_from_file(one.name)]
            with open(os.path.join(stamped, f"{prefix}_{stamped_pid}.db"), "rb") as other:
                entries = list(read_018(other.read()))
            self.assertEqual([(key, value) for key, value, _ in entries], expected, prefix)
            self.assertTrue(all(timestamp == 0.0 for _, _, timestamp in entries))
        self.assertEqual(sorted(cpp_aggregate(plain).replace(plain_pid, "PID").splitlines()),
                         sorted(cpp_aggregate(stamped).replace(stamped_pid, "PID").splitlines()))

    def test_prometheus_client_018_files_with_mostrecent_gauges(self):
        directory = self.directory("python018")
        gauge = mmap_key("temperature", "temperature", ["room"], ["a"], "Temperature")
        counter = mmap_key("jobs", "jobs_total", [], [], "Jobs")
        write_018(os.path.join(directory, "gauge_mostrecent_101.db"), [(gauge, 20.5, 1000.0)])
        write_018(os.path.join(directory, "gauge_mostrecent_102.db"), [(gauge, 22.0, 3000.0)])
        write_018(os.path.join(directory, "gauge_mostrecent_103.db"), [(gauge, 21.0, 2000.0)])
        write_018(os.path.join(directory, "gauge_livemostrecent_104.db"),
                  [(mmap_key("load", "load", [], [], "Load"), 0.5, 10.0)])
        write_018(os.path.join(directory, "counter_101.db"), [(counter, 4.0, 0.0)])
        shutil.copy(os.path.join(directory, "counter_101.db"),
                    os.path.join(directory, "counter_102.db"))
        lines = cpp_aggregate(directory).splitlines()
        self.assertIn('temperature{room="a"} 22.0', lines)
        self.assertIn("load 0.5", lines)
        self.assertIn("jobs_total 8.0", lines)
        self.assertIn("# TYPE temperature gauge", lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
