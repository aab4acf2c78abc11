"""Errors the user can act on. Only :mod:`egressmap.cli` turns them into exit codes."""

from __future__ import annotations

from collections.abc import Sequence


class EgressmapError(Exception):
    """Base class for errors the user can act on."""


class ConfigError(EgressmapError, ValueError):
    """A flag, a format string or a policy file is wrong."""


class UnknownFormat(ConfigError):
    """A format name was asked for that no registry knows, or sniffing found none."""

    def __init__(self, name: str, choices: Sequence[str], detail: str = "") -> None:
        what = "could not detect the input format" if name == "auto" else f"unknown format {name!r}"
        tail = f" ({detail})" if detail else ""
        super().__init__(f"{what}{tail}; choose one with --format: {', '.join(choices)}")
        self.choices = tuple(choices)


class InputError(EgressmapError, OSError):
    """An input cannot be read at all (missing, binary, not gzip, ...)."""


class StrictModeError(EgressmapError):
    """``--strict`` was given and some lines were skipped."""
