"""Shared fixtures: run the real `optsuite` console script, paths to shipped examples."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # so tests can `import naive`


def _command() -> list[str]:
    script = shutil.which("optsuite")
    return [script] if script else [sys.executable, "-m", "optsuite.cli"]


class CLIResult:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"exit {self.returncode}\nstdout: {self.stdout[:2000]}\nstderr: {self.stderr[:2000]}"


@pytest.fixture(scope="session")
def optsuite():
    """Call the installed console script: optsuite("solve", "kmedoids", ..., input="...")."""
    base = _command()

    def run(*args, input=None, env=None, cwd=None, timeout=600):
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env = {k: v for k, v in full_env.items() if v is not None}  # env={"X": None} unsets X
        proc = subprocess.run([*base, *map(str, args)], input=input, capture_output=True, text=True,
                              env=full_env, cwd=cwd, timeout=timeout)
        return CLIResult(proc)

    return run


@pytest.fixture(scope="session")
def digits_csv() -> Path:
    return EXAMPLES / "kmedoids" / "digits.csv"
