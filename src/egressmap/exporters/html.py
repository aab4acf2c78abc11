"""``html``: one self-contained review page for a firewall change request.

The page loads nothing: inline CSS, an inline SVG chart, no script, and a Content-Security-Policy that forbids
every network load. Everything taken from the policy is HTML-escaped; every host name is validated again with
:func:`~egressmap.exporters.rules.checked_name`, and an entry whose pattern fails is left out of the page and
reported in ``Rendered.rejected``.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..hostnames import is_ip
from ..model import REGION_TOKEN, TIER_RANK, Entry, Policy
from ..policy import concrete_hosts
from ..review import entry_flag
from .interface import Exporter, ExportOptions, Rendered, why
from .rules import checked_name, invalid_reason
from .svgchart import Series, stacked_bars

__all__ = ["CSP", "TIER_SERIES", "HtmlExport"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
"""No script, no fetch, no font, no frame: only the page's own inline styles and SVG."""

TIER_SERIES = (
    Series("observed", "#0072b2", "#ffffff"),
    Series("referenced", "#009e73", "#000000"),
    Series("predicted", "#e69f00", "#000000"),
    Series("documentation", "#cc79a7", "#000000"),
)
"""Chart colours per tier (Okabe-Ito, safe for colour-blind readers); used nowhere else on the page."""

SCOPES = (("cloud", "Cloud provider services"), ("internet", "Internet destinations"))
_MAX_SOURCES = 12
_MAX_OPEN_NAMES = 8
_HIDDEN = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)], "\ufffd")
_HIDDEN.update(dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], "\ufffd"))
_HIDDEN[13] = " "

_STYLE = """\
:root{color-scheme:light}
body{font:14px/1.45 system-ui,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1b1b;
background:#fff;margin:0 auto;max-width:1240px;padding:16px 24px}
h1{font-size:22px;margin:0 0 10px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
dl.counts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.counts dt{font-weight:600}
dl.counts dd{margin:0}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #d0d0d0;padding:4px 6px;vertical-align:top;text-align:left;overflow-wrap:break-word}
th{background:#f2f2f2}
code{font:12.5px/1.4 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
ul{margin:2px 0;padding-left:18px}
tr.broad td{background:#fff1f0}
tr.broad td:first-child{border-left:5px solid #b00020}
.flag{display:inline-block;background:#b00020;color:#fff;font-weight:700;font-size:11px;padding:0 5px;
border-radius:3px;text-transform:uppercase;letter-spacing:.04em}
.warn{color:#8a0016;margin:4px 0 0}
tr.only td{background:#fdf3dc}
tr.only td:first-child{border-left:5px solid #7a4a00}
.only-flag{display:inline-block;background:#7a4a00;color:#fff;font-weight:700;font-size:11px;padding:0 5px;
border-radius:3px;text-transform:uppercase;letter-spacing:.04em}
.muted{color:#555}
svg.chart{display:block;max-width:100%;height:auto}
svg.chart text{font:12px system-ui,"Segoe UI",Roboto,Arial,sans-serif}
@media print{body{max-width:none;padding:0}tr{break-inside:avoid}}
"""
_COLUMNS = (
    ("Destination", 18),
    ("Covers", 16),
    ("Ports", 5),
    ("Tier", 9),
    ("Denied", 6),
    ("Failed", 6),
    ("Service", 11),
    ("Why", 15),
    ("Evidence", 14),
)


@dataclass(frozen=True)
class _Row:
    """An entry whose names passed validation, ready to show."""

    entry: Entry
    names: tuple[str, ...]
    """Validated names besides the pattern: a template's expansions, the hosts seen under a wildcard."""


class HtmlExport(Exporter):
    """A review page: counts, a chart by category and tier, then every entry by scope and category."""

    name = "html"
    shows_outcomes = True
    description = "self-contained HTML review page (entries by scope and category, why, evidence, chart)"
    default_scope = "all"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the page; names that fail validation are left out and listed in ``rejected``."""
        regions = tuple(options.regions or policy.regions)
        chosen = self.select(policy, options)
        rejected = list(self.rejections(policy, options))
        hidden = len(policy.entries) - len(chosen) - len(rejected)
        rows: list[_Row] = []
        for entry in chosen:
            row = _checked(entry, regions, rejected)
            if row is not None:
                rows.append(row)
        other = sorted({r.entry.scope for r in rows} - {key for key, _ in SCOPES})
        scopes = [*SCOPES, *((key, f"Scope {key}") for key in other)]
        body = [
            _summary(policy, hidden, rows, regions, len(rejected)),
            _chart(rows),
            *(_scope_section(key, title, [r for r in rows if r.entry.scope == key]) for key, title in scopes),
        ]
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Egress allowlist review: {len(rows)} entries</title>\n"
            f"<style>\n{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part)
            + "\n</body>\n</html>\n"
        )
        return Rendered(page, rejected=tuple(rejected))


def _checked(entry: Entry, regions: Sequence[str], rejected: list[str]) -> _Row | None:
    """The entry with validated names, or None (and a message in ``rejected``) when its pattern fails.

    ``select`` already leaves out entries with bad names; this checks again what the page itself writes
    (a template's expansions for the regions asked for included), so no selection mistake reaches it.
    """
    problem = invalid_reason(entry, hosts=False)
    if problem is not None:
        rejected.append(problem)
        return None
    label = f"rejected entry {entry.pattern[:60]!r}"
    names: list[str] = []
    for raw in sorted(set(entry.hosts if _is_wildcard(entry) else concrete_hosts(entry, regions))):
        if REGION_TOKEN in raw or raw == entry.pattern:
            continue
        try:
            names.append(checked_name(raw))
        except ValueError as exc:
            rejected.append(f"{label}: {exc}")
    return _Row(entry, tuple(names))


def _is_wildcard(entry: Entry) -> bool:
    return entry.match != "exact" and entry.pattern.startswith("*.")


def _summary(policy: Policy, hidden: int, rows: list[_Row], regions: Sequence[str], rejected: int) -> str:
    """The page header: what is shown and what was left out."""
    entries = [r.entry for r in rows]
    skipped = sum(policy.skipped.values())
    items = [
        (
            "Entries",
            f"{len(rows)} shown of {len(policy.entries)} in the policy"
            + (f"; {hidden} outside the scope or documentation-only (not shown)" if hidden else ""),
        ),
        ("By scope", _counted(Counter(e.scope for e in entries), [k for k, _ in SCOPES])),
        ("By tier", _counted(Counter(e.tier for e in entries), list(TIER_RANK))),
        ("Broad entries", str(sum(e.broad for e in entries))),
        *_seen_only_item(entries),
        ("Skipped lines", f"{skipped}" + (f" ({_counted(policy.skipped, ())})" if skipped else "")),
        ("Inputs", ", ".join(policy.inputs) or "none recorded"),
        ("Regions", ", ".join(regions) or "none given: region templates are not expanded"),
        ("Refused", f"{rejected} (invalid names or ports: left out here, listed by the export command)"),
    ]
    lines = "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<header>\n<h1>Egress allowlist review</h1>\n<dl class="counts">\n{lines}\n</dl>\n</header>'


def _seen_only_item(entries: list[Entry]) -> list[tuple[str, str]]:
    """A header line counting the entries seen only denied or failed (none when there is none)."""
    n = sum(1 for e in entries if entry_flag(e))
    if not n:
        return []
    return [
        (
            "Only denied or failed",
            f"{n}: every request the logs show an outcome for was denied or failed (marked below); "
            "decide each, or leave them out with --exclude-denied",
        )
    ]


def _counted(counts: Mapping[str, int], order: Iterable[str]) -> str:
    keys = [*order, *sorted(set(counts) - set(order))]
    return ", ".join(f"{k} {counts[k]}" for k in keys if counts.get(k)) or "none"


def _chart(rows: list[_Row]) -> str:
    """Entries by category (one bar each, most entries first) stacked by tier."""
    by_category: dict[str, Counter[str]] = {}
    for r in rows:
        by_category.setdefault(r.entry.classification.category, Counter())[r.entry.tier] += 1
    ordered = sorted(by_category.items(), key=lambda kv: (-kv[1].total(), kv[0]))
    title = "Destinations (policy entries) by category and tier"
    svg = stacked_bars(title, ordered, TIER_SERIES, "entries")
    return f'<section id="chart">\n<h2>{_e(title)}</h2>\n{svg}\n</section>'


def _scope_section(key: str, title: str, rows: list[_Row]) -> str:
    """A scope's entries, one table per category (categories in name order, entries in policy order)."""
    if not rows:
        return ""
    out = [f'<section id="scope-{_e(key)}">', f"<h2>{_e(title)} ({len(rows)})</h2>"]
    for category in sorted({r.entry.classification.category for r in rows}):
        group = [r for r in rows if r.entry.classification.category == category]
        cols = "".join(f'<col style="width:{w}%">' for _, w in _COLUMNS)
        heads = "".join(f'<th scope="col">{h}</th>' for h, _ in _COLUMNS)
        out += [
            f"<h3>{_e(category)} ({len(group)})</h3>",
            f"<table>\n<colgroup>{cols}</colgroup>\n<thead><tr>{heads}</tr></thead>\n<tbody>",
            *(_row(r) for r in group),
            "</tbody>\n</table>",
        ]
    out.append("</section>")
    return "\n".join(out)


def _row(row: _Row) -> str:
    e, c = row.entry, row.entry.classification
    dest = f'<code class="pattern">{_e(row.entry.pattern)}</code>'
    if e.broad:
        dest += ' <span class="flag">broad</span>'
    only = entry_flag(e)
    if only:
        dest += f' <span class="only-flag">{_e(only)}</span>'
    dest += "".join(f'<p class="warn">\u26a0 {_e(w)}</p>' for w in e.warnings)
    service = [x for x in (" ".join(y for y in (c.provider, c.service) if y), c.region) if x]
    if c.private_endpoint != "none":
        service.append(f"private endpoint: {c.private_endpoint}")
    sources = list(e.sources[:_MAX_SOURCES])
    if len(e.sources) > _MAX_SOURCES:
        sources.append(f"and {len(e.sources) - _MAX_SOURCES} more")
    evidence = f"{e.count} seen, {e.denied} denied, {e.failed} failed" + (
        _list(sources) or '<br><span class="muted">no log lines</span>'
    )
    cells = (
        dest,
        _covers(row),
        _e(", ".join(str(p) for p in sorted(e.ports))),
        _e(e.tier),
        str(e.denied),
        str(e.failed),
        "<br>".join(_e(s) for s in service) or '<span class="muted">\u2014</span>',
        _e(why(replace(e, warnings=()))) or '<span class="muted">\u2014</span>',
        evidence,
    )
    classes = " ".join(c for c, on in (("broad", e.broad), ("only", only)) if on)
    css = f' class="{classes}"' if classes else ""
    return f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _covers(row: _Row) -> str:
    """What the pattern lets through, in words, plus the names behind it."""
    e, suffix = row.entry, _e(row.entry.pattern[2:])
    if _is_wildcard(e):
        text = {
            "apex-and-subdomains": f"{suffix} and every name under it, at any depth",
            "subdomains": f"every name under {suffix}, at any depth, but not {suffix} itself",
            "one-label": f"exactly one label under {suffix} (a.{suffix}), not deeper names, not {suffix}",
        }[e.match]
        return text + (f"; seen:{_names(row.names)}" if row.names else "")
    if REGION_TOKEN in e.pattern:
        if not row.names:
            return "one name per region; no region given, so nothing is allowed (use --region)"
        return f"one name per region, {len(row.names)} here:{_names(row.names)}"
    text = "exactly this address" if is_ip(row.entry.pattern) else "exactly this name"
    return text + (f"; also:{_names(row.names)}" if row.names else "")


def _names(names: Sequence[str]) -> str:
    items = _list([f"<code>{_e(n)}</code>" for n in names], escaped=True)
    if len(names) <= _MAX_OPEN_NAMES:
        return items
    return f"<details><summary>{len(names)} names</summary>{items}</details>"


def _list(items: Sequence[str], *, escaped: bool = False) -> str:
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{i if escaped else _e(i)}</li>" for i in items) + "</ul>"


def _e(text: str) -> str:
    """Policy text made inert: control and bidi-override characters replaced, then HTML-escaped."""
    return html.escape(text.translate(_HIDDEN), quote=True)
