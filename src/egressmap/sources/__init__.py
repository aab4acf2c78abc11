"""Evidence sources: an explicit registry of formats, and sniffing to pick one per input."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnknownFormat
from .athena_csv import AthenaCsv
from .azure_firewall import AzureFirewall
from .azure_flow import AzureFlow
from .freetext import FreeText
from .interface import Item, Source
from .network_firewall import NetworkFirewallLog
from .pcap import PcapCapture
from .plainlist import PlainList
from .record import ProxyRecord
from .route53_resolver import ResolverLog
from .squid import SquidLog
from .squid_format import BUILTIN, LogFormat, read_squid_conf
from .squid_infer import SquidAuto, SquidLayoutUnknown
from .suricata_eve import SuricataEve
from .vpc_flow import VpcFlowLog
from .zeek import ZeekLog

__all__ = ["FORMAT_NAMES", "Item", "Source", "SourceOptions", "SquidLayoutUnknown", "build_sources", "choose"]

log = logging.getLogger("egressmap")

FORMAT_NAMES: tuple[str, ...] = (
    "squid",
    "squid-common",
    "squid-combined",
    "squid-custom",
    "squid-auto",
    "text",
    "list",
    "record",
    "zeek",
    "azure-firewall",
    "azure-flow",
    "route53-resolver",
    "aws-network-firewall",
    "suricata-eve",
    "pcap",
    "vpc-flow",
    "athena-csv",
)
"""What ``--format`` accepts besides ``auto``."""


@dataclass
class SourceOptions:
    """What the user told us about the inputs' formats."""

    squid_logformats: dict[str, str] = field(default_factory=dict)
    """Custom logformat name -> format string (from ``--squid-logformat`` and ``--squid-conf``)."""
    access_logs: dict[str, str] = field(default_factory=dict)
    """access_log file name (basename) -> logformat name, from ``--squid-conf``."""

    @classmethod
    def from_flags(cls, logformat: str | None = None, squid_conf: str | None = None) -> SourceOptions:
        """Build the options from ``--squid-logformat`` and ``--squid-conf``."""
        options = cls()
        if squid_conf:
            formats, logs = read_squid_conf(squid_conf)
            options.squid_logformats.update(formats)
            options.access_logs.update(logs)
        if logformat:
            options.squid_logformats["custom"] = logformat
        return options


def build_sources(options: SourceOptions | None = None) -> dict[str, Source]:
    """Every source available for these options, by name (custom logformats as ``squid-custom:NAME``)."""
    options = options or SourceOptions()
    sources: dict[str, Source] = {
        "squid": SquidLog(LogFormat("squid", BUILTIN["squid"]), "squid"),
        # extended variants (fields appended: response time, quoted headers, as frontier-squid logs) fit too
        "squid-common": SquidLog(LogFormat("common", BUILTIN["common"], open_end=True), "squid-common"),
        "squid-combined": SquidLog(
            LogFormat("combined", BUILTIN["combined"], open_end=True), "squid-combined"
        ),
    }
    for name, spec in sorted(options.squid_logformats.items()):
        if name in BUILTIN and spec == BUILTIN[name]:
            continue
        key = f"squid-custom:{name}"
        sources[key] = SquidLog(LogFormat(name, spec), key)
    sources["zeek"] = ZeekLog()  # before squid-auto: a Zeek header fits exactly, no Squid layout to infer
    sources["squid-auto"] = SquidAuto()
    sources["record"] = ProxyRecord()
    sources["route53-resolver"] = ResolverLog()
    sources["aws-network-firewall"] = NetworkFirewallLog()
    sources["suricata-eve"] = SuricataEve()
    sources["azure-firewall"] = AzureFirewall()
    sources["azure-flow"] = AzureFlow()
    sources["pcap"] = PcapCapture()
    sources["vpc-flow"] = VpcFlowLog()
    sources["athena-csv"] = AthenaCsv()
    sources["list"] = PlainList()
    sources["text"] = FreeText()
    return sources


def _by_conf(origin: str, options: SourceOptions | None, sources: Mapping[str, Source]) -> Source | None:
    if options is None:
        return None
    name = options.access_logs.get(Path(origin).name.removesuffix(".gz"))
    if name is None:
        return None
    builtin = {"squid": "squid", "common": "squid-common", "combined": "squid-combined"}
    return sources.get(builtin.get(name, f"squid-custom:{name}"))


def choose(
    head: Sequence[str],
    sources: Mapping[str, Source],
    wanted: str = "auto",
    origin: str = "",
    options: SourceOptions | None = None,
) -> Source:
    """Pick the source for an input: the one asked for, the one squid.conf names, or the best sniffer.

    A Squid log in a layout no flag names gets a reader for its inferred layout; when that layout cannot be
    inferred, :class:`~.squid_infer.SquidLayoutUnknown` (an :class:`~egressmap.errors.InputError`) says why.
    """
    if wanted not in ("auto", "squid-custom"):
        if wanted not in sources:
            raise UnknownFormat(wanted, ("auto", *FORMAT_NAMES))
        return _resolved(sources[wanted], head, origin)
    named = _by_conf(origin, options, sources)
    if named is not None and wanted == "auto":
        return named
    candidates = {k: v for k, v in sources.items() if wanted == "auto" or k.startswith("squid-custom:")}
    if not candidates:
        raise UnknownFormat(
            wanted, ("auto", *FORMAT_NAMES), "squid-custom needs --squid-logformat or --squid-conf"
        )
    scores: list[tuple[float, int, str]] = []
    for order, (name, src) in enumerate(candidates.items()):
        if isinstance(src, SquidAuto) and max(scores, default=(-1.0,))[0] >= 1.0:
            continue  # a format fits every line exactly: no layout to infer (it costs a few ms per input)
        try:
            score = src.sniff(head)
        except Exception:  # one broken sniffer must not hide the others
            log.warning("sniffer %s failed", name, exc_info=True)
            continue
        bonus = 0.01 if name.startswith("squid-custom:") else 0.0  # the user's own format wins a tie
        scores.append((score + bonus if score >= 0 else score, -order, name))
    best_score, _, best = max(scores, default=(-1.0, 0, ""))
    if best_score < 0:
        raise UnknownFormat(wanted, ("auto", *FORMAT_NAMES), f"{origin}: no format fits its first lines")
    return _resolved(candidates[best], head, origin)


def _resolved(source: Source, head: Sequence[str], origin: str) -> Source:
    return source.resolve(head, origin) if isinstance(source, SquidAuto) else source
