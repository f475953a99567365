"""Starting and stopping test_server for the integration tests."""
import ctypes
import os
import signal
import socket
import subprocess
import time

PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn for child processes: the kernel kills the child when the test process dies, even
    by SIGKILL (a ctest timeout), so no server or Prometheus outlives its test."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Server:
    """test_server in a child process; `port` once it listens. Stops on close()."""

    def __init__(self, binary, *args):
        self.process = subprocess.Popen([binary, *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True,
                                        preexec_fn=die_with_parent)
        line = self.process.stdout.readline().strip()
        if not line.startswith("port "):
            self.process.kill()
            raise RuntimeError(f"test_server did not start: {line!r}")
        self.port = int(line.split()[1])

    def close(self):
        """Closes stdin, which ends the server; returns what it printed after starting."""
        if self.process.poll() is None:
            try:
                output, _ = self.process.communicate(input="", timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
            return output
        return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def binary_from_env():
    return os.environ["TEST_SERVER"]
