"""Egressmap: which outbound destinations does this HPC stack need, and is the firewall right."""

from __future__ import annotations

__version__ = "0.1.0"
