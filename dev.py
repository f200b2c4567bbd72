#!/usr/bin/env python3
"""The project's two commands, each creating its own environment (`.venv`) on first use.

    python3 dev.py demo    # extract from the bundled fake tenant (or your tenant) and show it
    python3 dev.py test    # ruff, mypy and the whole test suite
    python3 dev.py bench   # every benchmark scenario: benchmarks/results.md and .png
    python3 dev.py setup   # only create .venv (the tap, source-auth0-logs, Meltano)

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
        run([str(PYTHON), "-m", "ruff", "check", "."])
        run([str(PYTHON), "-m", "ruff", "format", "--check", "."])
        run([str(PYTHON), "-m", "mypy"])
        run([str(PYTHON), "-m", "pytest", *args])


if __name__ == "__main__":
    main()
