"""Every shipped example script runs and succeeds."""

from __future__ import annotations

import subprocess

import pytest

from conftest import EXAMPLES

SCRIPTS = sorted(EXAMPLES.rglob("*.sh"))


def test_there_are_examples():
    assert SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(s.relative_to(EXAMPLES)) for s in SCRIPTS])
def test_example_script_runs(script):
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
