"""An embedded local store for the demo: one JSONL file per stream, plus the last STATE.

It behaves like a Singer target: records are appended as they arrive, and a STATE is saved
only after the records before it are on disk, so the next run resumes without loss.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


class JsonlStore:
    """Singer messages in, JSONL files and a state file out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state_file = folder / "state.json"
        self._files: dict[str, IO[str]] = {}
        self.loaded: Counter[str] = Counter()

    def state(self) -> dict[str, Any] | None:
        """The last STATE saved, or None before the first run."""
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return None

    def consume(self, lines: IO[str]) -> None:
        """Load every Singer message from `lines`."""
        for line in lines:
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            kind = message.get("type")
            if kind == "RECORD":
                self._file(message["stream"]).write(json.dumps(message["record"]) + "\n")
                self.loaded[message["stream"]] += 1
            elif kind == "STATE":
                for handle in self._files.values():
                    handle.flush()
                self.state_file.write_text(json.dumps(message["value"]))
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def _file(self, stream: str) -> IO[str]:
        if stream not in self._files:
            self._files[stream] = (self.folder / f"{stream}.jsonl").open("a", encoding="utf-8")
        return self._files[stream]

    def rows(self, stream: str) -> list[dict[str, Any]]:
        """Every stored record of `stream`."""
        path = self.folder / f"{stream}.jsonl"
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]
