"""Command output: drain a command objective's streams and read its reports and JSON result.

Each stream is read by a thread, so a chatty command never blocks on a full pipe; the bytes are
copied to a file in the trial's working directory and the last few kilobytes kept for error
messages. Lines of stdout that are JSON objects are either intermediate reports
(``{"step": s, "value": v}``), handed over through a queue as they arrive, or result candidates, of
which the last one wins unless the command wrote a result file.
"""

from __future__ import annotations

import json
import math
import os
import queue
import select
import threading
from collections.abc import Mapping
from typing import IO, Any

MAX_LINE = 1 << 20
"""Longest stdout line (bytes) still parsed as JSON; longer lines are treated as noise."""
TAIL_CHARS = 2000
"""How much of each stream's end an error message quotes."""

_TAIL_BYTES = 16 * 1024
_CHUNK = 64 * 1024
_POLL_MS = 100
NO_RESULT = (
    "no JSON result: the last line of stdout that is a JSON object, "
    "or a JSON file at PARAMSCOPE_RESULT_FILE"
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_report(obj: Mapping[str, Any]) -> tuple[int, float] | None:
    """The ``(step, value)`` of a report object, or None when either is not a usable number.

    Example:
        >>> as_report({"step": 3, "value": 0.41})
        (3, 0.41)
    """
    step, value = obj.get("step"), obj.get("value")
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    if not (_is_number(step) and isinstance(step, int)):
        return None
    if not (_is_number(value) and isinstance(value, int | float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return (step, number) if math.isfinite(number) else None


class StreamReader(threading.Thread):
    """Drains one pipe to a file, keeps its tail and, for stdout, finds reports and the result.

    Args:
        stream: The read end of the pipe; the reader closes it when done.
        copy_to: Path of the file that receives every byte read.
        reports: Queue for ``(step, value)`` reports; None for a stream that is not parsed.

    Example:
        >>> import io, os, queue, tempfile
        >>> r, w = os.pipe()
        >>> _ = os.write(w, b'noise\\n{"step": 0, "value": 2.5}\\n{"value": 1.5}\\n')
        >>> os.close(w)
        >>> q = queue.Queue()
        >>> reader = StreamReader(open(r, "rb"), os.path.join(tempfile.mkdtemp(), "out"), reports=q)
        >>> reader.start(); reader.join()
        >>> q.get_nowait(), reader.result
        ((0, 2.5), {'value': 1.5})
    """

    def __init__(
        self, stream: IO[bytes], copy_to: str, *, reports: queue.Queue[tuple[int, float]] | None
    ) -> None:
        super().__init__(name=f"paramscope-output-{os.path.basename(copy_to)}", daemon=True)
        self._stream = stream
        self._copy_to = copy_to
        self._reports = reports
        self._abandon = threading.Event()
        self._tail = bytearray()
        self._partial = b""
        self._overflow = False
        self.result: dict[str, Any] | None = None
        """The last stdout line that is a JSON object and not a report."""
        self.result_undecodable = False
        """True when the last JSON-object line of stdout was not valid UTF-8."""

    def abandon(self) -> None:
        """Stop reading soon, even if some escaped process still holds the pipe open."""
        self._abandon.set()

    def tail_text(self) -> str:
        """The last ``TAIL_CHARS`` characters of the stream (undecodable bytes replaced)."""
        return bytes(self._tail).decode("utf-8", errors="replace")[-TAIL_CHARS:]

    def run(self) -> None:
        sink: IO[bytes] | None
        try:
            sink = open(self._copy_to, "wb")  # noqa: SIM115 - closed in the finally below
        except OSError:
            sink = None
        try:
            self._drain(sink)
        finally:
            self._stream.close()
            if sink is not None:
                sink.close()

    def _drain(self, sink: IO[bytes] | None) -> None:
        fd = self._stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while not self._abandon.is_set():
            if not poller.poll(_POLL_MS):
                continue
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            if sink is not None:
                try:
                    sink.write(chunk)
                except OSError:  # a full disk must not stop the draining
                    sink = None
            self._tail += chunk
            if len(self._tail) > _TAIL_BYTES:
                del self._tail[:-_TAIL_BYTES]
            if self._reports is not None:
                self._split(chunk)
        if self._reports is not None and self._partial and not self._overflow:
            self._line(self._partial)

    def _split(self, chunk: bytes) -> None:
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            line, self._partial = self._partial + piece, b""
            if self._overflow:
                self._overflow = False
            else:
                self._line(line)
        self._partial += pieces[-1]
        if len(self._partial) > MAX_LINE:
            self._partial, self._overflow = b"", True

    def _line(self, raw: bytes) -> None:
        line = raw.strip()
        if not (line.startswith(b"{") and line.endswith(b"}")):
            return
        try:
            text, undecodable = line.decode("utf-8"), False
        except UnicodeDecodeError:
            text, undecodable = line.decode("utf-8", errors="replace"), True
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return
        if not isinstance(obj, dict):
            return
        if "step" in obj and "value" in obj:
            report = None if undecodable else as_report(obj)
            if report is not None and self._reports is not None:
                self._reports.put(report)
            return
        self.result, self.result_undecodable = (None, True) if undecodable else (obj, False)


def numeric_values(obj: Mapping[str, Any]) -> tuple[dict[str, float] | None, str | None]:
    """The numeric entries of a result object, or an error naming the first non-finite one.

    Entries that are not JSON numbers (strings, null, lists, booleans) are dropped.

    Returns:
        ``(values, None)`` on success, ``(None, reason)`` on failure.

    Example:
        >>> numeric_values({"loss": 0.3, "acc": 1, "note": "ok"})
        ({'loss': 0.3, 'acc': 1.0}, None)
        >>> numeric_values({"loss": float("nan")})
        (None, "result key 'loss' is not a finite number (got nan)")
    """
    values: dict[str, float] = {}
    for key, value in obj.items():
        if not _is_number(value):
            continue
        try:
            number = float(value)
        except OverflowError:
            return None, f"result key {key!r} is too large for a float (got {value})"
        if not math.isfinite(number):
            return None, f"result key {key!r} is not a finite number (got {number})"
        values[str(key)] = number
    if not values:
        shown = json.dumps(obj)[:200]
        return None, f"JSON result has no numeric values, got {shown}"
    return values, None


def read_result_file(path: str) -> tuple[dict[str, Any] | None, str | None]:
    """The object in the result file, ``(None, None)`` if it was not written, or an error.

    An empty file counts as not written; a bare number ``1.25`` means ``{"value": 1.25}``.

    Example:
        >>> read_result_file("/nonexistent/result.json")
        (None, None)
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"result file {path} could not be read: {exc.strerror or exc}"
    if not data.strip():
        return None, None
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"result file {path} is not UTF-8 text"
    except (ValueError, RecursionError) as exc:
        return None, f"result file {path} is not valid JSON: {exc}"
    if _is_number(obj):
        return {"value": obj}, None
    if not isinstance(obj, dict):
        return None, (
            f'result file {path} must hold a JSON object like {{"value": 1.25}}, '
            f"got a JSON {type(obj).__name__}"
        )
    return obj, None


def final_values(
    result_file: str, last_object: Mapping[str, Any] | None, *, undecodable: bool = False
) -> tuple[dict[str, float] | None, str | None]:
    """The values of a command that exited cleanly: from its result file, else its last JSON line.

    Args:
        result_file: Path of ``PARAMSCOPE_RESULT_FILE``.
        last_object: The last JSON object line of stdout (``StreamReader.result``).
        undecodable: True when that last line was not UTF-8 (``StreamReader.result_undecodable``).

    Returns:
        ``(values, None)`` on success, ``(None, reason)`` on failure.

    Example:
        >>> final_values("/nonexistent/result.json", {"value": 1.25})
        ({'value': 1.25}, None)
    """
    obj, error = read_result_file(result_file)
    if error is not None:
        return None, error
    if obj is None:
        if undecodable:
            return None, "output is not UTF-8 text: the last JSON line of stdout cannot be decoded"
        obj = dict(last_object) if last_object is not None else None
    if obj is None:
        return None, NO_RESULT
    return numeric_values(obj)


def with_tails(reason: str, stdout: str, stderr: str) -> str:
    """An error reason followed by the labelled tails of stdout and stderr.

    Example:
        >>> print(with_tails("command exited with code 3", "", "boom"))
        command exited with code 3
        --- stdout: empty ---
        --- stderr ---
        boom
    """
    parts = [reason]
    for label, text in (("stdout", stdout), ("stderr", stderr)):
        if not text:
            parts.append(f"--- {label}: empty ---")
            continue
        cut = f" (last {TAIL_CHARS} characters)" if len(text) >= TAIL_CHARS else ""
        parts.extend([f"--- {label}{cut} ---", text.rstrip("\n")])
    return "\n".join(parts)
