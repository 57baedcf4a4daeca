"""Process trees: end every process a command objective started, so nothing outlives its trial.

The command runner starts each command in a session of its own (``start_new_session=True``), so the
command's process group is its pid. Ending a trial signals that group, and also every process that
a scan of ``/proc`` (Linux) finds below the command or in its session: a grandchild that moved to a
process group or session of its own is still caught while its parent lives. On systems without
``/proc`` only the process group is signalled. Each process is identified by its pid *and* start
time, so a recycled pid is never signalled by mistake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

_PROC = "/proc"
_POLL = 0.02
_REAP_TIMEOUT = 5.0


@dataclass(frozen=True)
class _ProcInfo:
    """One row of ``/proc/<pid>/stat``: the fields needed to find and name a process."""

    ppid: int
    pgrp: int
    session: int
    start: int
    zombie: bool


def _read_stat(pid: int) -> _ProcInfo | None:
    """The stat row of ``pid``, or None when it is gone or unreadable."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return _ProcInfo(
            ppid=int(fields[1]),
            pgrp=int(fields[2]),
            session=int(fields[3]),
            start=int(fields[19]),
            zombie=fields[0] in (b"Z", b"X"),
        )
    except (IndexError, ValueError):
        return None


def _scan() -> dict[int, _ProcInfo]:
    """Every process visible in ``/proc`` (empty where there is no ``/proc``)."""
    try:
        names = os.listdir(_PROC)
    except OSError:
        return {}
    table: dict[int, _ProcInfo] = {}
    for name in names:
        if name.isdigit():
            info = _read_stat(int(name))
            if info is not None:
                table[int(name)] = info
    return table


def _still_alive(members: Mapping[int, int]) -> dict[int, _ProcInfo]:
    """The members that still run as the same process (same pid and start time, not a zombie)."""
    alive: dict[int, _ProcInfo] = {}
    for pid, start in members.items():
        info = _read_stat(pid)
        if info is not None and info.start == start and not info.zombie:
            alive[pid] = info
    return alive


def _signal(pid: int, sig: signal.Signals, *, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_exists(group: int) -> bool:
    """Whether any process is in ``group`` (zombies included: the fallback without ``/proc``)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ProcessTree:
    """The processes of one command started with ``start_new_session=True``, and how to end them.

    Args:
        proc: The running command; its process group and session ids are its pid.

    Example:
        >>> import subprocess
        >>> proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
        >>> ProcessTree(proc).terminate(grace=1.0)
        >>> proc.returncode
        -15
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        info = _read_stat(proc.pid)
        self._root_start = info.start if info is not None else None
        self._has_proc = os.path.isdir(_PROC)

    def members(self) -> dict[int, int]:
        """The live processes of the tree, the command itself included: pid -> start time.

        Members are the command's descendants and every process in its process group or session,
        excluding zombies and the calling process.
        """
        table = _scan()
        children: dict[int, list[int]] = {}
        for pid, info in table.items():
            children.setdefault(info.ppid, []).append(pid)
        root = self.proc.pid
        found = {pid for pid, info in table.items() if root in (info.pgrp, info.session)}
        root_info = table.get(root)
        # Walk down from the root only while the root pid is still our command (not recycled).
        stack = [root] if root_info is not None and root_info.start == self._root_start else []
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        me = os.getpid()
        return {
            pid: table[pid].start
            for pid in found
            if pid in table and pid != me and not table[pid].zombie
        }

    def _busy(self, known: Mapping[int, int]) -> bool:
        """True while the command runs or any process of its tree (now or ``known``) is alive."""
        if self.proc.poll() is None:
            return True
        if not self._has_proc:
            return _group_exists(self.proc.pid)
        left = set(self.members()) | set(_still_alive(known))
        left.discard(self.proc.pid)
        return bool(left)

    def _signal_all(self, members: Mapping[int, int], sig: signal.Signals) -> None:
        group = self.proc.pid
        _signal(group, sig, group=True)
        for pid, info in _still_alive(members).items():
            if info.pgrp != group:  # the group signal already reached it
                _signal(pid, sig, group=False)

    def terminate(self, *, grace: float) -> None:
        """End the whole tree: SIGTERM, then SIGKILL to whatever is left after ``grace`` seconds.

        Safe to call after the command has exited: whatever it left running in its process group
        or session is ended, and a tree with nothing left returns at once. The command itself is
        reaped, so it never lingers as a zombie.

        Args:
            grace: Seconds between SIGTERM and SIGKILL, for the tree to exit cleanly.
        """
        members = self.members()
        if not self._busy(members):
            return
        self._signal_all(members, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self._busy(members):
            time.sleep(_POLL)
        # A fresh scan catches children forked during the grace period.
        members.update(self.members())
        self._signal_all(members, signal.SIGKILL)
        try:
            self.proc.wait(timeout=_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
