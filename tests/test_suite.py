"""The test command itself: its workers share each expensive set-up as the suite expects."""

from __future__ import annotations

import subprocess
import sys

GROUPED = """
import os

import pytest


def seen(name):
    with open(name, "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")


@pytest.mark.xdist_group("shared")
def test_one():
    seen("grouped")


@pytest.mark.slow
@pytest.mark.xdist_group("shared")
def test_two():
    seen("grouped")


@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("n", range(3))
def test_more(n):
    seen("grouped")


@pytest.mark.parametrize("n", range(6))
def test_free(n):
    seen("free")
"""


def test_the_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    """`python3 dev.py test` runs `--dist loadgroup`: a group's module or session set-up runs once.

    (pytest-xdist 3.8 on pytest 9.2 ignored the groups, and every worker built each set-up.)
    """
    (tmp_path / "test_grouped.py").write_text(GROUPED)

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "3",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-2000:]
    grouped = (tmp_path / "grouped").read_text().split()
    assert len(grouped) == 5
    assert len(set(grouped)) == 1
    assert len((tmp_path / "free").read_text().split()) == 6
