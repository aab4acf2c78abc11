"""Export formats: an explicit, read-only registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .interface import Exporter, ExportOptions, Rendered
from .jsonfmt import JsonExport
from .listing import ListExport
from .squid import SquidExport
from .table import CsvExport, MarkdownExport

EXPORTERS: Mapping[str, type[Exporter]] = MappingProxyType(
    {cls.name: cls for cls in (ListExport, JsonExport, CsvExport, MarkdownExport, SquidExport)}
)

__all__ = ["EXPORTERS", "ExportOptions", "Exporter", "Rendered"]
