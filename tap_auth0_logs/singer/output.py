"""Where the tap's messages go: stdout, buffered between STATEs.

A target reads records as they come, but it only acts on a STATE; so records may wait in a
buffer until the next STATE (or any other message) flushes them, which saves a system call per
record. That holds even under `PYTHONUNBUFFERED=1`, which many container images set and which
makes Python's own stdout write every line at once: then the tap puts a buffer of its own in front.
A STATE is flushed only after the records it covers, so a target never sees it before them.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import sys
from typing import IO

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, RecordMessage
from typing_extensions import override

from tap_auth0_logs.errors import TargetClosedError

#: Bytes of records held between flushes when stdout itself is unbuffered.
BUFFER_BYTES = 1 << 16


class StdoutBuffer:
    """The current `sys.stdout`, as a buffered binary stream (its own buffer when it has none)."""

    def __init__(self) -> None:
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] = sys.stdout.buffer
        # A buffer of its own is closed at exit: left to the collector, Python warns of it
        # (`ResourceWarning: unclosed file`) in every run under `-W default`, as Meltano's is.
        atexit.register(self.close)

    @property
    def stream(self) -> IO[bytes]:
        """The stream to write to now (it follows a `sys.stdout` that was replaced)."""
        raw = sys.stdout.buffer
        if raw is not self._raw:
            if self._raw is not None:
                self.close()
            self._raw = raw
            self._out = raw if _is_buffered(raw) else _buffered_copy(raw)
        return self._out

    def close(self) -> None:
        """Write out what is buffered, and close the buffer of its own (never stdout itself)."""
        out = self._out
        with contextlib.suppress(OSError, ValueError):
            out.flush()
        if out is not self._raw and out is not sys.stdout.buffer:
            with contextlib.suppress(OSError, ValueError):
                out.close()

    def write(self, data: bytes | bytearray) -> None:
        """Buffer `data`."""
        self.stream.write(data)

    def flush(self) -> None:
        """Write out everything buffered."""
        self.stream.flush()


def _is_buffered(stream: IO[bytes]) -> bool:
    return isinstance(stream, io.BufferedIOBase)


def _buffered_copy(raw: IO[bytes]) -> IO[bytes]:
    """A buffered stream on a duplicate of `raw`'s descriptor.

    A duplicate, so that closing this buffer (when the writer is collected) never closes stdout.
    """
    try:
        descriptor = os.dup(raw.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return raw
    return io.BufferedWriter(io.FileIO(descriptor, "wb"), BUFFER_BYTES)


class BufferedMsgSpecWriter(MsgSpecWriter):
    """The SDK's msgspec writer (a fraction of simplejson's time per record), flushing less.

    The SDK's writer flushes stdout after every message: one system call per record, about a
    tenth of the tap's CPU. This one lets records fill the buffer and flushes after every other
    message, STATE included.
    """

    def __init__(self) -> None:
        super().__init__()
        self.out = StdoutBuffer()
        #: RECORD messages written so far (to say how far a target got when it stops reading).
        self.records = 0

    @override
    def write_message(self, message: Message) -> None:
        try:
            self.out.write(self.format_message(message))
            if isinstance(message, RecordMessage):
                self.records += 1
            else:
                self.out.flush()
        except BrokenPipeError:
            raise TargetClosedError(self.records) from None
