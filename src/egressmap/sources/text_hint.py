"""What a free-text line says about a connection: the types :mod:`.text_outcomes` and :mod:`.text_connect` use.

A :class:`Wording` is one way a tool prints something (``Temporary failure resolving 'host'``); it yields a
:class:`Hint` per match: which tool, what happened, the outcome, and the target the line names (a host, a
host and port, or a URL), if any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Outcome

_SERVICES = {"http": 80, "https": 443, "ftp": 21, "ftps": 990}
_MAX_WHAT = 160
# Parts of a message that change from line to line (addresses, object ids, timings): a reason names the
# kind of failure, so that a destination's reasons stay few however many lines report it.
_VARIABLE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b0x[0-9a-fA-F]+\b|\d{4,}")


@dataclass(frozen=True, slots=True)
class Hint:
    """One thing a line says happened to a connection."""

    tool: str
    """Who printed it: ``apt``, ``curl``, ``dnf/librepo``, ``pip``..."""
    what: str
    """What happened, in the tool's own words (short)."""
    outcome: Outcome
    """``failed`` for a failure wording, ``allowed`` or ``unknown`` for a connection wording."""
    host: str | None = None
    """A host the line names (raw, not yet normalised)."""
    port: int | None = None
    url: str | None = None
    """A URL the line names as the target (raw)."""
    default_port: int = 443
    """The port to assume for a named host when neither the line nor the log names one."""
    weak: bool = False
    """An address the tool resolved (``dial tcp 1.2.3.4:443``): a target only when nothing else is named."""
    context: str | None = None
    """``curl`` or ``pip``: the target may be named on an earlier line (the command, the index)."""
    path: str | None = None
    """The request path, when the line names only that (pip's retry lines)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """One way a tool prints a connection or a failure: a cheap substring check, then a pattern.

    The pattern's named groups ``host``, ``port``, ``url`` and ``path`` name the target; every group fills
    ``what`` (a ``str.format`` template).
    """

    tool: str
    needles: tuple[str, ...]
    """Substrings one of which every match contains: other lines are never matched against ``pattern``."""
    pattern: re.Pattern[str]
    what: str
    outcome: Outcome = "failed"
    default_port: int = 443
    weak: bool = False
    context: str | None = None

    def hints(self, line: str) -> Iterator[Hint]:
        """Every match of this wording in ``line`` (nothing when no needle is in it)."""
        for needle in self.needles:
            if needle in line:
                break
        else:
            return
        for match in self.pattern.finditer(line):
            groups = {k: (v or "") for k, v in match.groupdict().items()}
            what = _VARIABLE.sub(_placeholder, " ".join(self.what.format_map(groups).split()))
            if len(what) > _MAX_WHAT:
                what = what[: _MAX_WHAT - 3].rstrip() + "..."
            if not what.isprintable():
                what = "".join(ch if ch.isprintable() else "?" for ch in what)
            yield Hint(
                tool=self.tool,
                what=what,
                outcome=self.outcome,
                host=groups.get("host") or None,
                port=port_number(groups.get("port", "")),
                url=groups.get("url") or None,
                default_port=self.default_port,
                weak=self.weak,
                context=self.context,
                path=groups.get("path") or None,
            )


def _placeholder(match: re.Match[str]) -> str:
    text = match.group()
    return "<ip>" if "." in text else "<id>" if text.startswith("0x") else "<n>"


def port_number(text: str) -> int | None:
    """A port from digits or a service name (``http`` -> 80); None when neither.

    >>> port_number("8443"), port_number("http"), port_number("x")
    (8443, 80, None)
    """
    if text.isdigit():
        value = int(text)
        return value if 0 < value < 65536 else None
    return _SERVICES.get(text.lower())


def wording(
    tool: str,
    needle: str | tuple[str, ...],
    pattern: str,
    what: str,
    *,
    outcome: Outcome = "failed",
    default_port: int = 443,
    weak: bool = False,
    context: str | None = None,
    flags: int = 0,
) -> Wording:
    """Build a :class:`Wording` (compiling ``pattern``)."""
    needles = (needle,) if isinstance(needle, str) else needle
    return Wording(tool, needles, re.compile(pattern, flags), what, outcome, default_port, weak, context)


def hints_of(wordings: tuple[Wording, ...], line: str) -> list[Hint]:
    """Every hint every wording finds in ``line``, in registry order."""
    found: list[Hint] = []
    for item in wordings:
        for needle in item.needles:
            if needle in line:
                found.extend(item.hints(line))
                break
    return found
