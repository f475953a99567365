"""Runs every ```sh block of the README's "## Multiprocess mode" section as written, with bash
-euo pipefail, in a scratch directory where `build/release/examples/prefork/prefork` is the
binary under test (PREFORK), with free ports in place of 8080 and 9100. Each block must succeed,
and every `#   <line>` comment in it is a line its output must contain."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

PREFORK = os.environ["PREFORK"]
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def section_blocks():
    with open(README, encoding="utf-8") as readme:
        text = readme.read()
    start = text.index("\n## Multiprocess mode\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end >= 0 else len(text)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReadmeMultiprocess(unittest.TestCase):
    def test_blocks(self):
        blocks = section_blocks()
        self.assertGreaterEqual(len(blocks), 2)
        for number, block in enumerate(blocks, 1):
            with self.subTest(block=number):
                self.run_block(block)

    def run_block(self, block):
        scratch = tempfile.mkdtemp(prefix="bentoml-metrics-readme-")
        try:
            binary = os.path.join(scratch, "build", "release", "examples", "prefork")
            os.makedirs(binary)
            os.symlink(os.path.abspath(PREFORK), os.path.join(binary, "prefork"))
            script = block.replace("8080", str(free_port())).replace("9100", str(free_port()))
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")}
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=scratch,
                                    env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0,
                             f"block failed:\n{block}\nstdout:\n{result.stdout}\n"
                             f"stderr:\n{result.stderr}")
            lines = result.stdout.splitlines()
            for expected in re.findall(r"^#   (.*)$", block, re.M):
                self.assertIn(expected, lines, f"output of:\n{block}\nwas:\n{result.stdout}")
        finally:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    unittest.main(verbosity=2)
