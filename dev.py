#!/usr/bin/env python3
"""The project's two commands, each creating its own environment (`.venv`) on first use.

    python3 dev.py demo    # the main job: the fake tenant (or yours) -> DuckDB -> dbt, and a report
    python3 dev.py test    # the tests: ruff, mypy and every test, side by side

Extras:

    python3 dev.py setup   # only create .venv (the tap, source-auth0-logs, Meltano in .venv/bin/)
    python3 dev.py bench   # every benchmark scenario (docs/performance.md)

Only the standard library is used here, so it runs on any Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def ensure_environment() -> None:
    """Create `.venv` and install the project with its dev extras, again when pyproject changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("Installing tap-auth0-logs and its dev tools ...", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"])
    STAMP.write_text(wanted)


def run(command: list[str]) -> None:
    """Run `command` in the repo; stop with its exit code when it fails."""
    code = subprocess.call(command, cwd=ROOT)
    if code:
        sys.exit(code)


def main() -> None:
    """Dispatch `demo`, `test`, `bench` or `setup`."""
    task, args = (sys.argv[1] if len(sys.argv) > 1 else ""), sys.argv[2:]
    if task in {"-h", "--help", "help"}:
        print(__doc__)
        return
    if task not in {"demo", "test", "bench", "setup"}:
        sys.exit(__doc__)
    ensure_environment()
    if task == "setup":
        print(f"Ready: {BIN.relative_to(ROOT)}/ has tap-auth0-logs, source-auth0-logs and meltano.")
        return
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    if task == "demo":
        run([str(PYTHON), "-m", "demo", *args])
    elif task == "bench":
        run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev,benchmarks]"])
        run([str(PYTHON), "-m", "benchmarks", *args])
    else:
        test(args)


#: pytest's workers: most tests wait on processes (Meltano, dbt, the tap, a rate limit), so
#: twice as many workers as cores keep the cores busy.
WORKERS = max(2, 2 * (os.cpu_count() or 1))


def test(args: list[str]) -> None:
    """ruff, then mypy beside the whole suite on several workers; the first failure's exit code.

    Tests that share an expensive set-up are grouped (`xdist_group`): `--dist loadgroup` gives
    each group to one worker.
    """
    run([str(PYTHON), "-m", "ruff", "check", "."])
    run([str(PYTHON), "-m", "ruff", "format", "--check", "."])
    mypy = subprocess.Popen(
        [str(PYTHON), "-m", "mypy"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tests = subprocess.call(
        [str(PYTHON), "-m", "pytest", "-n", str(WORKERS), "--dist", "loadgroup", *args], cwd=ROOT
    )
    typed, _ = mypy.communicate()
    print(typed, end="")
    sys.exit(mypy.returncode or tests)


if __name__ == "__main__":
    main()
