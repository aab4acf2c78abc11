"""Run one command in a small launcher process and read its time, exit code and peak memory (``wait4``).

The launcher, not the bench script, starts the command: Linux carries the peak RSS of the process that forks
across the exec, so a command started by a script that has read a big JSON document would report at least the
script's own peak, and the script's ``RUSAGE_CHILDREN`` keeps the largest child it ever had. ``wait4`` in the
launcher gives the command's own peak, counting the processes it waited for (a forked reader; a shell
pipeline's largest process).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Literal

LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=None if sys.argv[1] == "keep" else subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(f"\\n{time.perf_counter() - start} {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""
"""The command's stdout is passed on or dropped; its stderr is the launcher's; the figures are the last line."""


@dataclass(frozen=True)
class Ran:
    """What one launch gave."""

    seconds: float
    code: int
    """The exit code (negative: killed by that signal)."""
    peak_kib: int
    stdout: str
    """The command's standard output (empty unless asked for)."""
    stderr: str
    """Its standard error when captured, else empty."""


def launch(
    cmd: list[str], *, stdout: bool = False, stderr: Literal["inherit", "drop", "capture"] = "inherit"
) -> Ran:
    """Run ``cmd`` to its end in a launcher; ``stdout``: keep the command's output; ``stderr``: where it goes."""
    err = {"inherit": None, "drop": subprocess.DEVNULL, "capture": subprocess.PIPE}[stderr]
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "keep" if stdout else "drop", *cmd],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        check=True,
    )
    output, _, figures = done.stdout.rstrip("\n").rpartition("\n")
    seconds, code, peak = figures.split()
    return Ran(float(seconds), int(code), int(peak), output, done.stderr or "")
