"""Packaging and import hygiene: the wheel's package list, the namespace, lazy imports, kernel policy."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO

FOLDERS = {"cli": "optsuite.cli", "problems": "optsuite.problems", "solvers": "optsuite.solvers"}


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for folder, name in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([name, *rel.parts]))
    assert listed == found, "pyproject [tool.setuptools] packages must list every package folder"
    assert config["package-dir"] == {v: k for k, v in FOLDERS.items()}


def test_no_bare_imports_of_the_code_folders():
    pattern = re.compile(r"^\s*(from|import)\s+(solvers|cli|problems)\b", re.M)
    offenders = [str(p) for folder in FOLDERS for p in (REPO / folder).rglob("*.py") if pattern.search(p.read_text())]
    offenders += [str(p) for p in (REPO / "tests").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_help_path_imports_no_heavy_module():
    code = ("import sys, optsuite.cli.main; "
            "heavy = [m for m in ('numpy', 'numba', 'scipy', 'cvxpy') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_and_version(optsuite):
    r = optsuite("--help")
    assert r.returncode == 0 and "solve" in r.stdout and "Exit codes" in r.stdout
    r = optsuite("--version")
    from optsuite.cli._version import __version__

    assert r.returncode == 0 and r.stdout.strip() == f"optsuite {__version__}"


def test_every_command_help_ends_with_examples(optsuite):
    for cmd in (["solve", "kmedoids"], ["generate", "kmedoids"], ["check", "kmedoids"], ["bench"], ["list"], ["info"]):
        r = optsuite(*cmd, "--help")
        assert r.returncode == 0, cmd
        assert "Example" in r.stdout and "optsuite " in r.stdout.split("Example")[-1], cmd


def test_kernels_follow_the_jit_policy():
    """Kernels get numba only through solvers/_jit.py; nobody sets fastmath=True or parallel by hand."""
    for path in (REPO / "solvers").rglob("*.py"):
        text = path.read_text()
        if path.name == "_jit.py":
            continue
        assert not re.search(r"^\s*(import numba|from numba\b)", text, re.M), path
        assert "fastmath=True" not in text, path
        assert "@njit" not in text and "@numba.njit" not in text, path


def test_ci_runs_the_readme_commands_verbatim():
    readme = (REPO / "README.md").read_text().split("```")[1].strip().splitlines()
    install_and_run, install_and_test = readme[0], readme[1]
    assert install_and_run.startswith("pip install . && optsuite solve kmedoids examples/")
    assert install_and_test == "pip install -e '.[test,peers]' && pytest -q"
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert install_and_run in ci and install_and_test in ci
