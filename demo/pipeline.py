"""The demo's stages through Meltano, each said as it starts and as it ends.

Meltano runs each stage with `--log-format=json`; the tap logs structured records (its
`structured-logging` capability) and dbt logs JSON (`DBT_LOG_FORMAT=json`), so every line is
read as values — which plugin said it, at which level, the SDK's metrics, dbt's events — never
by its wording. A stage that fails is told by its own plugin's error lines, from this run only;
every line also goes to the stage's log file under the demo's folder.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from filelock import FileLock

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))
#: The Meltano environment the demo runs in: its state ids are `demo:…`, never a plain run's.
ENVIRONMENT = "demo"
EXTRACTOR, LOADER, DBT = "tap-auth0-logs", "target-duckdb", "dbt-duckdb"
#: The plugins the demo runs, by Meltano's folder of each kind.
PLUGINS = (("extractors", EXTRACTOR), ("loaders", LOADER), ("utilities", DBT))
#: dbt colours its lines for a terminal.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: Seconds between two progress lines of one stage.
PROGRESS_EVERY = 5.0


class StageFailed(Exception):
    """A stage ended in failure; the message is its plugins' own cause."""


@dataclass
class Heard:
    """What one stage's lines said, as values."""

    errors: list[str] = field(default_factory=list)  # the plugins' own error lines
    warnings: list[str] = field(default_factory=list)  # "plugin: line", in order
    meltano_errors: list[str] = field(default_factory=list)
    records: int = 0  # the tap's count at its end (the SDK's metric)
    progress: int = 0  # the tap's count so far (its progress line)
    sync_seconds: float = 0.0
    retention: str | None = None  # the tap's countdown line, whatever its level
    dbt_stats: dict[str, int] = field(default_factory=dict)
    nodes: tuple[int, int] = (0, 0)  # dbt's node started last, of how many
    last: list[str] = field(default_factory=list)  # the last lines, when nothing else says why

    def hear(self, line: dict[str, Any]) -> None:
        """Take one line of Meltano's JSON log (or of dbt's, passed through)."""
        if "info" in line and isinstance(line["info"], dict):
            self._dbt(line)
            return
        plugin, level = line.get("name"), str(line.get("level", "info"))
        text = str(line.get("event", ""))
        self.last = [*self.last[-7:], text]
        metric = line.get("metric_info")
        if plugin == EXTRACTOR and isinstance(metric, dict):
            if metric.get("metric") == "record_count":
                self.records += int(metric.get("value") or 0)
            elif metric.get("metric") == "sync_duration":
                self.sync_seconds = max(self.sync_seconds, float(metric.get("value") or 0))
            return
        if plugin == EXTRACTOR and isinstance(line.get("progress"), dict):
            self.progress = int(line["progress"].get("records") or 0)
        if plugin == EXTRACTOR and "retention_days_left" in line:
            self.retention = text
        if plugin is None:  # Meltano's own line
            if level in {"error", "critical"}:
                self.meltano_errors.append(text)
        elif level in {"error", "critical"}:
            self.errors.append(text)
        elif level == "warning" and f"{plugin}: {text}" not in self.warnings:
            self.warnings.append(f"{plugin}: {text}")

    def _dbt(self, line: dict[str, Any]) -> None:
        """One of dbt's events: its progress, its summary, a warning or an error, by its name."""
        info, data = line["info"], line.get("data") or {}
        level, name = info.get("level"), str(info.get("name", ""))
        text = ANSI.sub("", str(info.get("msg", ""))).strip()
        self.last = [*self.last[-7:], text]
        if name == "LogStartLine":
            self.nodes = (int(data.get("index") or 0), int(data.get("total") or 0))
        elif name == "StatsLine" and isinstance(data.get("stats"), dict):
            self.dbt_stats = {key: int(value) for key, value in data["stats"].items()}
        elif name == "RunResultWarningMessage":  # the words of one warning, after its name
            node = (data.get("node_info") or {}).get("node_name", "")
            self.warnings.append(f"dbt: {node}: {data.get('msg', text)}")
        elif level == "error" and not name.startswith("Log"):  # not the node's progress line
            self.errors.append(text)

    def cause(self) -> str:
        """Why the stage failed: its plugins' error lines, else Meltano's, else its last lines."""
        lines = self.errors or self.meltano_errors or self.last
        return "\n".join(f"  {line}" for line in lines if line.strip())


def install_plugins(
    environment: dict[str, str], starting: Callable[[], None] = lambda: None
) -> bool:
    """`meltano install` when a plugin is missing or the project changed since; True if it ran.

    Each plugin gets its own virtualenv under .meltano/; `starting` is told before it installs.
    One process installs at a time (the tests run side by side): another waits, then finds the
    plugins there.
    """
    folder = ROOT / ".meltano"
    folder.mkdir(exist_ok=True)
    stamp = folder / "plugins-installed-from"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + _pip_urls()).hexdigest()
    with FileLock(str(folder / "install.lock")):
        venvs = [folder / kind / name / "venv" for kind, name in PLUGINS]
        if all(venv.exists() for venv in venvs) and stamp.exists() and stamp.read_text() == wanted:
            return False
        starting()
        done = subprocess.run(
            [MELTANO, "install"],
            cwd=ROOT,
            # Into the project's own system folder, whichever one the caller runs in.
            env={k: v for k, v in environment.items() if k != "MELTANO_SYS_DIR_ROOT"},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            lines = (done.stdout + done.stderr).strip().splitlines()[-8:]
            raise StageFailed("meltano install failed:\n  " + "\n  ".join(lines))
        stamp.write_text(wanted)
        return True


def _pip_urls() -> bytes:
    """What meltano.yml installs: each plugin's name and pip_url (its settings do not count)."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugins = [
        (plugin["name"], plugin.get("pip_url"))
        for kind in project.get("plugins", {}).values()
        for plugin in kind
    ]
    return json.dumps(plugins).encode()


def run(
    stage: str,
    args: list[str],
    environment: dict[str, str],
    log: Path,
    on_line: Callable[[Heard], None] = lambda heard: None,
) -> Heard:
    """Run `meltano ARGS` in the demo's environment; what it said; StageFailed if it failed.

    `on_line` is called after each line (a stage prints its progress from it).
    """
    heard = Heard()
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [MELTANO, "--log-format=json", f"--environment={ENVIRONMENT}", *args]
    with (
        log.open("w") as kept,
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        for text in process.stdout:
            kept.write(text)
            heard.hear(_parsed(text))
            on_line(heard)
    if process.returncode:
        cause = heard.cause() or "  (no line said why)"
        raise StageFailed(f"{stage:<8} failed:\n{cause}\n(every line of this stage: {log})")
    return heard


class Ticker:
    """A stage's progress line, at most every few seconds: `say` words it from what was heard."""

    def __init__(self, say: Callable[[Heard], str | None], every: float = PROGRESS_EVERY) -> None:
        self.say, self.every = say, every
        self.next = time.monotonic() + every

    def __call__(self, heard: Heard) -> None:
        """Said after each line of the stage."""
        now = time.monotonic()
        if now < self.next:
            return
        if (text := self.say(heard)) is not None:  # else: the next line may have something to say
            self.next = now + self.every
            print(f"{'':<8} {text}", flush=True)


def _parsed(text: str) -> dict[str, Any]:
    """One line as values; a line that is not JSON is Meltano's or a plugin's plain text."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"event": text.strip(), "level": "info"}
    return value if isinstance(value, dict) else {"event": text.strip(), "level": "info"}
