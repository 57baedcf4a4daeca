"""Spool: results a worker could not write while the database was away, kept on local disk.

When ``tell`` still fails after the storage's patience, the worker appends the result as one
JSON line to its own spool file and flushes the file into the storage as soon as the database
answers again. Each worker writes only its own file ``<study key>.<host>.<pid>-<id>.jsonl`` and
holds an exclusive ``flock`` on it for its lifetime; the lock dies with the process (even SIGKILL),
so a worker started later in the same spool directory takes over and flushes a dead worker's
file. A spooled result that the storage refuses for good (the trial was reaped as lost while its
worker was cut off, and re-queued or failed) moves to ``<study key>.rejected.jsonl``: kept for
the user, never silently dropped.

The directory is ``$PARAMSCOPE_SPOOL_DIR``, else ``.paramscope-spool`` in the working directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from paramscope.errors import StorageError, TrialStateError
from paramscope.storage.base import Outcome, TrialWriter
from paramscope.storage.engine import is_unavailable
from paramscope.trial import TrialState

log = logging.getLogger("paramscope")

SPOOL_ENV_VAR = "PARAMSCOPE_SPOOL_DIR"
"""Environment variable naming the spool directory."""

DEFAULT_SPOOL_DIR = ".paramscope-spool"
"""The spool directory (relative to the working directory) when the variable is unset."""


@dataclass(frozen=True)
class SpooledResult:
    """One result waiting to be written: which trial of which study, and how it ended."""

    study: str
    number: int
    outcome: Outcome

    def to_line(self) -> str:
        o = self.outcome
        record = {"study": self.study, "number": self.number, "state": str(o.state)}
        return json.dumps(record | {"values": dict(o.values), "error": o.error}) + "\n"

    @classmethod
    def from_line(cls, line: str) -> SpooledResult:
        record: dict[str, Any] = json.loads(line)
        outcome = Outcome(TrialState(record["state"]), record["values"], record["error"])
        return cls(str(record["study"]), int(record["number"]), outcome)


def spool_dir() -> Path:
    """``$PARAMSCOPE_SPOOL_DIR``, else ``.paramscope-spool`` under the working directory.

    Example:
        >>> spool_dir().name in (".paramscope-spool", os.environ.get(SPOOL_ENV_VAR, ""))
        True
    """
    return Path(os.environ.get(SPOOL_ENV_VAR) or DEFAULT_SPOOL_DIR).absolute()


def _read(handle: IO[str]) -> list[SpooledResult]:
    """The results in a spool file; a line torn by a crash mid-write (never acknowledged,
    so its trial is still running and will be reaped) is skipped."""
    handle.seek(0)
    results = []
    for line in handle:
        try:
            results.append(SpooledResult.from_line(line))
        except (ValueError, KeyError, TypeError):
            if line.strip():
                log.warning("skipping a torn line in the result spool: %r", line[:200])
    return results


def _key(url: str, study: str) -> str:
    return "spool-" + hashlib.sha1(f"{url}\n{study}".encode()).hexdigest()[:12]


class ResultSpool:
    """This process's spool for one study in one storage; see the module docstring.

    Args:
        url: the storage URL (results are only replayed into the storage they came from).
        study: the study's name.
        directory: where spool files live; default :func:`spool_dir`.

    Example:
        >>> import tempfile
        >>> from paramscope.storage.base import Outcome
        >>> spool = ResultSpool("sqlite:///x.db", "s", directory=Path(tempfile.mkdtemp()))
        >>> spool.add(SpooledResult("s", 3, Outcome(TrialState.COMPLETE, {"value": 1.0})))
        >>> [r.number for r in spool.pending()]
        [3]
        >>> spool.close()
    """

    def __init__(self, url: str, study: str, *, directory: Path | None = None) -> None:
        self.directory = directory or spool_dir()
        self._key = _key(url, study)
        owner = f"{socket.gethostname()}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.directory / f"{self._key}.{owner}.jsonl"
        self._file: IO[str] | None = None

    def _own(self) -> IO[str]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Locked under a name no flusher looks for, then renamed: never seen unlocked.
            fresh = self.path.with_name(self.path.name + ".new")
            self._file = open(fresh, "a+")  # noqa: SIM115 - held open (and locked) for life
            fcntl.flock(self._file, fcntl.LOCK_EX)
            fresh.rename(self.path)
        return self._file

    def add(self, result: SpooledResult) -> None:
        """Append a result and fsync it: from here on it survives this process and the machine."""
        handle = self._own()
        handle.write(result.to_line())
        handle.flush()
        os.fsync(handle.fileno())
        log.warning(
            "database unavailable: result of trial %d kept in %s until it returns",
            result.number,
            self.path,
        )

    def pending(self) -> list[SpooledResult]:
        """This process's spooled results, oldest first."""
        if self._file is None:
            return []
        return _read(self._file)

    def flush(self, storage: TrialWriter) -> list[int]:
        """Write every spooled result (this process's, then dead workers'); return their numbers.

        A result the storage refuses for good is moved to the rejected file (and counted too:
        it is no longer waiting).

        Raises:
            StorageError: the database is still away; what was not written stays spooled.
        """
        written = []
        if self._file is not None and self.path.stat().st_size:
            written += self._replay(storage, self._file)
        for path in sorted(self.directory.glob(f"{self._key}.*.*.jsonl")):
            if path == self.path:
                continue
            try:
                with open(path, "r+") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # its owner is dead
                    written += self._replay(storage, handle)
                    path.unlink()
            except (BlockingIOError, FileNotFoundError):
                continue  # a live worker's own spool, or another worker flushed it first
        return written

    def _replay(self, storage: TrialWriter, handle: IO[str]) -> list[int]:
        results = _read(handle)
        done: list[int] = []
        try:
            for result in results:
                self._tell(storage, result)
                done.append(result.number)
        finally:
            handle.seek(0)
            handle.truncate()
            handle.writelines(r.to_line() for r in results[len(done) :])
            handle.flush()
            os.fsync(handle.fileno())
        return done

    def _tell(self, storage: TrialWriter, result: SpooledResult) -> None:
        try:
            storage.tell(result.study, result.number, result.outcome)
        except StorageError as exc:
            if is_unavailable(exc):
                raise
            self._reject(result, exc)
        except TrialStateError as exc:
            self._reject(result, exc)

    def _reject(self, result: SpooledResult, exc: Exception) -> None:
        rejected = self.directory / f"{self._key}.rejected.jsonl"
        with open(rejected, "a") as handle:
            handle.write(result.to_line())
        log.warning(
            "spooled result of trial %d not written (%s); kept in %s", result.number, exc, rejected
        )

    def close(self) -> None:
        """Release the spool; an empty file is removed, a non-empty one waits for a flush."""
        if self._file is None:
            return
        empty = self.path.stat().st_size == 0
        if empty:
            self.path.unlink(missing_ok=True)
        self._file.close()
        self._file = None
