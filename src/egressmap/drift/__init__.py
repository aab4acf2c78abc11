"""Drift: what changed between an approved policy and a new one, or the evidence of this week.

:func:`compare` gives a :class:`Drift` (the logic); :data:`RENDERERS` turn it into a table, markdown or JSON.
"""

from __future__ import annotations

from .compare import compare
from .model import CHANGED, FAIL_ON, KINDS, Change, Drift
from .render import RENDERERS, Labels

__all__ = ["CHANGED", "FAIL_ON", "KINDS", "RENDERERS", "Change", "Drift", "Labels", "compare"]
