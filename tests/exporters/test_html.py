"""The ``html`` review page: escaping, grouping, chart, flags, and a real headless Chromium rendering it offline."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from pathlib import Path

from egressmap.exporters import EXPORTERS, ExportOptions, Rendered
from egressmap.exporters.html import CSP, TIER_SERIES, HtmlExport
from egressmap.exporters.svgchart import BAR_AREA, SWATCH
from egressmap.model import Classification, Entry, Match, Policy, Scope, Tier

from .browser import (
    Node,
    console,
    count_pixels,
    decode_png,
    parse,
    run_chromium,
    write_page,
)

#: Every element the page may contain; anything else (script, img, iframe, link...) is an injection.
ALLOWED_TAGS = frozenset(
    "#document html head meta title style body header h1 h2 h3 dl dt dd section svg desc g rect text "
    "table colgroup col thead tbody tr th td code span p ul li br details summary".split()
)
HOSTILE_PATTERNS = (
    'evil.com"><script>alert(4)</script>',
    '*.evil.com"><script>',
    'ssm.{region}.evil"><svg onload=alert(5)>.com',
    "EVIL.com",
)


def _entry(
    pattern: str,
    *,
    match: Match = "exact",
    hosts: tuple[str, ...] | None = None,
    ports: tuple[int, ...] = (443,),
    scope: Scope = "internet",
    category: str = "other",
    tier: Tier = "observed",
    reasons: tuple[str, ...] = ("observed: CONNECT seen in squid log",),
    sources: tuple[str, ...] = ("access.log:1",),
    notes: tuple[str, ...] = (),
    broad: bool = False,
    warnings: tuple[str, ...] = (),
) -> Entry:
    return Entry(
        pattern=pattern,
        hosts=(pattern,) if hosts is None else hosts,
        ports=ports,
        classification=Classification(scope=scope, category=category, notes=notes),
        tier=tier,
        count=1,
        denied=0,
        reasons=reasons,
        sources=sources,
        match=match,
        broad=broad,
        warnings=warnings,
    )


def _hostile_policy() -> Policy:
    """Hostile free text on a valid entry, hostile names that must be refused, one bad host on a good entry."""
    loud = _entry(
        "pypi.org",
        category="<b>cat</b>",
        reasons=("observed: <script>alert(1)</script>", "observed: \u202eevil\u202c"),
        sources=('a.log:1"><img src=x onerror=alert(2)>', "https://evil.example/x.js"),
        notes=("</td></tr></table><iframe src=//evil.example>",),
        broad=True,
        warnings=("' onmouseover='alert(3)",),
    )
    refused = [
        _entry(p, match="subdomains" if p.startswith("*.") else "exact", hosts=()) for p in HOSTILE_PATTERNS
    ]
    bad_host = _entry(
        "files.pythonhosted.org", hosts=("files.pythonhosted.org", "x.org\n<script>alert(6)</script>")
    )
    return Policy(
        (loud, *refused, bad_host),
        regions=("us-east-1",),
        inputs=("<script>alert(7)</script>.log",),
        skipped={"<b>malformed</b>": 2},
    )


def _render(policy: Policy, options: ExportOptions | None = None) -> Rendered:
    return HtmlExport().render(policy, options or ExportOptions())


def _patterns(page: Node) -> list[str]:
    return [n.text() for n in page.find("code", "pattern")]


def _row_of(page: Node, pattern: str) -> Node:
    rows = [tr for tr in page.find("tr") if any(c.text() == pattern for c in tr.find("code", "pattern"))]
    assert len(rows) == 1, f"{pattern} should be shown once"
    return rows[0]


# --- the page as written ----------------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    """The registry maps ``html`` to the exporter, which shows every scope by default."""
    assert EXPORTERS["html"] is HtmlExport
    assert HtmlExport.default_scope == "all"


def test_hostile_text_is_escaped_and_hostile_names_refused() -> None:
    """Markup in reasons, sources, notes, categories and inputs stays text; bad names are never written."""
    rendered = _render(_hostile_policy())
    page = parse(rendered.text)
    assert {n.tag for n in page.walk()} <= ALLOWED_TAGS
    assert not [(n.tag, k) for n in page.walk() for k in n.attrs if k.startswith("on") or k == "src"]
    text = page.text()
    for shown in (
        "<script>alert(1)</script>",
        'a.log:1"><img src=x onerror=alert(2)>',
        "</td></tr></table><iframe src=//evil.example>",
        "' onmouseover='alert(3)",
        "<script>alert(7)</script>.log",
        "<b>cat</b>",
        "<b>malformed</b> 2",
    ):
        assert shown in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.text
    for never in ("evil.com", "EVIL", "alert(4)", "alert(5)", "alert(6)", "\u202e", "\u202c"):
        assert never not in rendered.text
    assert len(rendered.rejected) == len(HOSTILE_PATTERNS) + 1
    assert all(r.startswith("rejected entry ") for r in rendered.rejected)
    assert _patterns(page) == ["pypi.org"]
    assert "Refused" in text and "5 (invalid names or ports" in text


class _Unselective(HtmlExport):
    """An exporter whose selection lets every entry through, to test the page's own checks."""

    def select(self, policy: Policy, options: ExportOptions) -> list[Entry]:
        """Every entry."""
        return list(policy.entries)

    def rejections(self, policy: Policy, options: ExportOptions) -> tuple[str, ...]:
        """Nothing."""
        return ()


def test_page_checks_names_again_whatever_the_selection() -> None:
    """Even if selection let hostile entries through, the page refuses them and drops a bad host only."""
    rendered = _Unselective().render(_hostile_policy(), ExportOptions())
    assert _patterns(parse(rendered.text)) == ["pypi.org", "files.pythonhosted.org"]
    assert [r.split(": ", 1)[0] for r in rendered.rejected] == [
        *(f"rejected entry {p!r}" for p in HOSTILE_PATTERNS),
        "rejected entry 'files.pythonhosted.org'",
    ]
    for never in ("evil.com", "EVIL", "alert(4)", "alert(5)", "alert(6)"):
        assert never not in rendered.text


def test_bad_region_expansion_is_refused(shared_policy: Policy) -> None:
    """A region that makes a template expand to a non-canonical name: that name is refused, not shown."""
    rendered = _render(shared_policy, ExportOptions(regions=("US-EAST-1",)))
    names = [li.text() for li in parse(rendered.text).find("li")]
    assert "dynamodb.us-east-1.amazonaws.com" in names and not [n for n in names if "US-EAST-1" in n]
    assert (
        "rejected entry 'ssm.{region}.amazonaws.com': 'ssm.US-EAST-1.amazonaws.com' is not in canonical form (expected 'ssm.us-east-1.amazonaws.com')"
        in rendered.rejected
    )


def test_entry_with_bad_ports_is_refused() -> None:
    """An entry whose ports are out of range is not shown, like in the firewall exports."""
    rendered = _render(Policy((_entry("pypi.org", ports=(0, 443)), _entry("files.pythonhosted.org"))))
    assert _patterns(parse(rendered.text)) == ["files.pythonhosted.org"]
    assert rendered.rejected == ("rejected entry 'pypi.org': ports [0, 443]",)


def test_entries_grouped_by_scope_then_category(shared_policy: Policy) -> None:
    """Cloud before internet; one table per category in name order; entries in policy order inside."""
    page = parse(_render(shared_policy, ExportOptions(include_documentation=True)).text)
    sections = {s.attrs["id"]: s for s in page.find("section")}
    assert list(sections) == ["chart", "scope-cloud", "scope-internet"]
    shown: dict[str, dict[str, list[str]]] = {}
    for key in ("cloud", "internet"):
        section = sections[f"scope-{key}"]
        heads = [h.text().rsplit(" (", 1)[0] for h in section.find("h3")]
        tables = section.find("table")
        shown[key] = {h: _patterns(t) for h, t in zip(heads, tables, strict=True)}
        assert heads == sorted(heads)
    expected: dict[str, dict[str, list[str]]] = {"cloud": {}, "internet": {}}
    for e in shared_policy.entries:
        expected[e.scope].setdefault(e.classification.category, []).append(e.pattern)
    assert shown == expected
    assert list(shown["cloud"]) == ["cloud-api"]
    assert list(shown["internet"]) == [
        "documentation",
        "internal",
        "language-packages",
        "os-packages",
        "other",
        "vendor-downloads",
    ]


def test_header_counts(shared_policy: Policy) -> None:
    """The header counts entries, scopes, tiers, broad entries, skipped lines and names the inputs."""
    page = parse(_render(shared_policy).text)
    dl = page.find("dl", "counts")[0]
    counts = dict(zip((n.text() for n in dl.find("dt")), (n.text() for n in dl.find("dd")), strict=True))
    assert counts == {
        "Entries": "20 shown of 21 in the policy; 1 outside the scope or documentation-only (not shown)",
        "By scope": "cloud 10, internet 10",
        "By tier": "observed 5, referenced 14, predicted 1",
        "Broad entries": "1",
        "Skipped lines": "0",
        "Inputs": "shared-test-policy",
        "Regions": "eu-west-1, us-east-1",
        "Refused": "0 (invalid names or ports: left out here, listed by the export command)",
    }


def test_chart_has_one_bar_per_category(shared_policy: Policy) -> None:
    """A stacked bar per category, most entries first, parts in tier order, the longest bar full width."""
    page = parse(_render(shared_policy).text)
    svg = page.find("svg", "chart")[0]
    assert svg.attrs["role"] == "img" and svg.find("title")[0].text() == (
        "Destinations (policy entries) by category and tier"
    )
    bars = svg.find("g", "bar")
    labels = [b.find("text", "label")[0].text() for b in bars]
    assert labels == [
        "cloud-api",
        "os-packages",
        "internal",
        "language-packages",
        "other",
        "vendor-downloads",
    ]
    assert bars[0].find("title")[0].text() == "cloud-api: total 10, observed 1, referenced 8, predicted 1"
    colours = {s.key: s.fill for s in TIER_SERIES}
    assert [r.attrs["fill"] for r in bars[0].find("rect", "seg")] == [
        colours["observed"],
        colours["referenced"],
        colours["predicted"],
    ]
    assert sum(int(r.attrs["width"]) for r in bars[0].find("rect", "seg")) == BAR_AREA
    assert sum(int(r.attrs["width"]) for r in bars[-1].find("rect", "seg")) == BAR_AREA // 10
    legend = svg.find("g", "legend")[0]
    assert [r.attrs["fill"] for r in legend.find("rect")] == [s.fill for s in TIER_SERIES]
    assert [t.text() for t in legend.find("text")] == [
        "observed (5)",
        "referenced (14)",
        "predicted (1)",
        "documentation (0)",
    ]


def test_broad_entry_flagged_with_its_warning(shared_policy: Policy) -> None:
    """The one broad entry's row is marked, carries a visible flag and its warning; no other row is."""
    page = parse(_render(shared_policy).text)
    broad = [tr for tr in page.find("tr") if tr.attrs.get("class") == "broad"]
    assert [_patterns(tr) for tr in broad] == [["*.blob.core.windows.net"]]
    assert [f.text() for f in broad[0].find("span", "flag")] == ["broad"]
    assert [w.text() for w in broad[0].find("p", "warn")] == [
        "\u26a0 broad: *.blob.core.windows.net is shared hosting (any storage account)"
    ]
    assert len(page.find("span", "flag")) == 1


def test_entries_seen_only_denied_or_failed_are_flagged() -> None:
    """Denied and failed counts have their own columns; entries never seen allowed are marked and counted."""
    policy = Policy(
        (
            replace(_entry("denied.example.net"), count=2, denied=2),
            replace(_entry("failed.example.net"), count=3, failed=1),
            replace(_entry("both.example.net"), count=2, denied=1, failed=1),
            replace(_entry("retried.example.net"), count=3, denied=2, allowed=1),
            _entry("pypi.org"),
        )
    )
    page = parse(_render(policy).text)
    heads = [th.text() for th in page.find("th")]
    assert heads[4:6] == ["Denied", "Failed"]
    cells = {p: [td.text() for td in _row_of(page, p).find("td")][4:6] for p in _patterns(page)}
    assert cells == {
        "denied.example.net": ["2", "0"],
        "failed.example.net": ["0", "1"],
        "both.example.net": ["1", "1"],
        "retried.example.net": ["2", "0"],
        "pypi.org": ["0", "0"],
    }
    flags = {p: [f.text() for f in _row_of(page, p).find("span", "only-flag")] for p in _patterns(page)}
    assert flags == {
        "denied.example.net": ["only denied"],
        "failed.example.net": ["only failed"],
        "both.example.net": ["only denied or failed"],
        "retried.example.net": [],
        "pypi.org": [],
    }
    marked = [_patterns(tr)[0] for tr in page.find("tr") if "only" in tr.attrs.get("class", "").split()]
    assert marked == ["denied.example.net", "failed.example.net", "both.example.net"]
    dl = page.find("dl", "counts")[0]
    counts = dict(zip((n.text() for n in dl.find("dt")), (n.text() for n in dl.find("dd")), strict=True))
    assert counts["Only denied or failed"].startswith("3: every request the logs show an outcome for")
    assert "--exclude-denied" in counts["Only denied or failed"]


def test_no_seen_only_line_when_nothing_is_flagged(shared_policy: Policy) -> None:
    """A policy without such entries has no header line, no marked row and no flag for them."""
    page = parse(_render(shared_policy).text)
    assert "Only denied or failed" not in [dt.text() for dt in page.find("dt")]
    assert page.find("span", "only-flag") == [] and not [
        tr for tr in page.find("tr") if "only" in tr.attrs.get("class", "").split()
    ]


def test_documentation_entries_only_with_include_documentation(shared_policy: Policy) -> None:
    """Documentation-only entries are left out unless asked for, in the tables and in the chart."""
    hidden = parse(_render(shared_policy).text)
    shown = parse(_render(shared_policy, ExportOptions(include_documentation=True)).text)
    assert "docs.aws.amazon.com" not in _patterns(hidden)
    assert set(_patterns(shown)) - set(_patterns(hidden)) == {"docs.aws.amazon.com"}
    assert "documentation" not in [t.text() for t in hidden.find("text", "label")]
    assert "documentation" in [t.text() for t in shown.find("text", "label")]


def test_scope_option_limits_the_page(shared_policy: Policy) -> None:
    """``scope=internet`` shows no cloud section."""
    page = parse(_render(shared_policy, ExportOptions(scope="internet")).text)
    assert [s.attrs["id"] for s in page.find("section")] == ["chart", "scope-internet"]


def test_covers_says_what_each_kind_lets_through(shared_policy: Policy) -> None:
    """Each match kind in words; templates list their names for the policy's regions, seen hosts for wildcards."""
    page = parse(_render(shared_policy).text)

    def covers(pattern: str) -> tuple[str, list[str]]:
        cell = _row_of(page, pattern).find("td")[1]
        return cell.children[0] if isinstance(cell.children[0], str) else "", [
            li.text() for li in cell.find("li")
        ]

    assert covers("pypi.org") == ("exactly this name", [])
    assert covers("10.1.0.4") == ("exactly this address", [])
    assert covers("*.ubuntu.com")[0] == "ubuntu.com and every name under it, at any depth; seen:"
    assert covers("*.snapcraftcontent.com") == (
        "every name under snapcraftcontent.com, at any depth, but not snapcraftcontent.com itself; seen:",
        ["canonical-bos01.cdn.snapcraftcontent.com", "canonical-lgw01.cdn.snapcraftcontent.com"],
    )
    assert covers("*.blob.core.windows.net")[0].startswith("exactly one label under blob.core.windows.net")
    assert covers("ssm.{region}.amazonaws.com") == (
        "one name per region, 2 here:",
        ["ssm.eu-west-1.amazonaws.com", "ssm.us-east-1.amazonaws.com"],
    )


def test_templates_expand_for_the_regions_asked_for(shared_policy: Policy) -> None:
    """``regions`` in the options replaces the policy's; hosts seen in the logs stay listed."""
    page = parse(_render(shared_policy, ExportOptions(regions=("ap-south-1",))).text)
    cell = _row_of(page, "dynamodb.{region}.amazonaws.com").find("td")[1]
    assert [li.text() for li in cell.find("li")] == [
        "dynamodb.ap-south-1.amazonaws.com",
        "dynamodb.us-east-1.amazonaws.com",
    ]
    bare = parse(_render(Policy((_entry("ssm.{region}.amazonaws.com", hosts=()),))).text)
    assert "nothing is allowed (use --region)" in bare.find("td")[1].text()


def test_page_loads_nothing(shared_policy: Policy) -> None:
    """A strict CSP comes first in the head; no element points at any URL; no script, no external style."""
    text = _render(shared_policy, ExportOptions(include_documentation=True)).text
    page = parse(text)
    head = page.find("head")[0]
    metas = head.find("meta")
    assert metas[0].attrs == {"charset": "utf-8"}
    assert metas[1].attrs == {"http-equiv": "Content-Security-Policy", "content": CSP}
    assert "default-src 'none'" in CSP and "script-src" not in CSP and "connect-src" not in CSP
    assert not [(n.tag, k) for n in page.walk() for k in n.attrs if k in {"src", "href", "srcset", "action"}]
    assert not [v for n in page.walk() for v in n.attrs.values() if "://" in v or "url(" in v]
    assert "http://" not in text and "https://" not in text and "url(" not in text and "@import" not in text


def test_urls_in_evidence_stay_text() -> None:
    """A URL in a policy's sources is shown as text, never as a link or resource."""
    page = parse(_render(_hostile_policy()).text)
    assert "https://evil.example/x.js" in page.text()
    assert not [v for n in page.walk() for v in n.attrs.values() if "evil" in v]


def test_output_is_deterministic(shared_policy: Policy) -> None:
    """The same policy renders to the same bytes, and an empty policy to a page without tables."""
    assert _render(shared_policy) == _render(shared_policy)
    empty = parse(_render(Policy(())).text)
    assert empty.find("table") == [] and "No entries to chart." in empty.text()


# --- the page in a real browser ---------------------------------------------------------------------------------


def test_chromium_shows_every_entry_offline(shared_policy: Policy, tmp_path: Path) -> None:
    """With no name resolving and no proxy reachable, Chromium's DOM holds every entry and the chart."""
    url = write_page(tmp_path, _render(shared_policy, ExportOptions(include_documentation=True)).text)
    done = run_chromium(tmp_path, "--dump-dom", url)
    dom = parse(done.stdout)
    assert sorted(_patterns(dom)) == sorted(e.pattern for e in shared_policy.entries)
    assert len(dom.find("g", "bar")) == len({e.classification.category for e in shared_policy.entries})
    assert dom.find("script") == [] and console(done.stderr) == []


def test_chromium_shows_the_seen_only_flags_offline(tmp_path: Path) -> None:
    """A page with flagged entries opens in Chromium without a console message, the flags in its DOM."""
    policy = Policy((replace(_entry("denied.example.net"), denied=1), _entry("pypi.org")))
    done = run_chromium(tmp_path, "--dump-dom", write_page(tmp_path, _render(policy).text))
    dom = parse(done.stdout)
    assert [f.text() for f in dom.find("span", "only-flag")] == ["only denied"]
    assert {n.tag for n in dom.walk()} <= ALLOWED_TAGS and console(done.stderr) == []


def test_chromium_enforces_the_csp(tmp_path: Path) -> None:
    """Control: the page's CSP makes Chromium refuse a remote image and an inline script, and say so."""
    probe = (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '</head><body><p id="p">static</p><img src="https://example.invalid/x.png">'
        '<script>document.getElementById("p").textContent = "script ran"</script></body></html>'
    )
    done = run_chromium(tmp_path, "--dump-dom", write_page(tmp_path, probe))
    refused = "\n".join(console(done.stderr))
    assert "https://example.invalid/x.png" in refused and "Content Security Policy" in refused
    assert "Executing inline script violates" in refused
    assert [p.text() for p in parse(done.stdout).find("p")] == ["static"]


def test_chromium_keeps_hostile_text_inert(tmp_path: Path) -> None:
    """In the browser's DOM, markup from the policy is text: no script, image or frame element exists."""
    done = run_chromium(tmp_path, "--dump-dom", write_page(tmp_path, _render(_hostile_policy()).text))
    dom = parse(done.stdout)
    assert {n.tag for n in dom.walk()} <= ALLOWED_TAGS
    assert "<script>alert(1)</script>" in dom.text()
    assert console(done.stderr) == []


def test_chromium_screenshot_paints_chart_colours(shared_policy: Policy, tmp_path: Path) -> None:
    """Each tier colour covers at least its bars' area on screen (and nothing else uses it); not blank."""
    text = _render(shared_policy, ExportOptions(include_documentation=True)).text
    png = tmp_path / "review.png"
    run_chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", write_page(tmp_path, text))
    width, height, rows = decode_png(png.read_bytes())
    assert (width, height) == (1280, 2000)
    page = parse(text)
    for series in TIER_SERIES:
        bars = sum(
            int(r.attrs["width"]) * int(r.attrs["height"])
            for r in page.find("rect", "seg")
            if r.attrs["fill"] == series.fill
        )
        painted = count_pixels(rows, bytes.fromhex(series.fill[1:]))
        assert bars > 0, series.key
        assert 0.8 * bars + SWATCH**2 <= painted <= bars + SWATCH**2, (series.key, bars, painted)
    white = bytes([255, 255, 255]) * width
    assert sum(row != white for row in rows) > height // 2, "the page looks blank"


# --- a small PNG reader: enough for Chromium's screenshots ------------------------------------------------------


def test_png_reader_round_trip() -> None:
    """The reader undoes every filter type on a PNG built here, and counts aligned pixels only."""
    pixels = [bytes([10 * x + y, 20, 200 - x] * 1) for y in range(5) for x in range(4)]
    rows = [b"".join(pixels[y * 4 : y * 4 + 4]) for y in range(5)]
    raw = b"".join(
        bytes([f]) + _filter(f, rows[y], rows[y - 1] if y else bytes(12)) for y, f in enumerate(range(5))
    )
    ihdr = struct.pack(">IIBBBBB", 4, 5, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )
    assert decode_png(png) == (4, 5, rows)
    assert count_pixels([bytes([1, 2, 3, 1, 2, 3, 9, 1, 2, 3, 0, 0])], bytes([1, 2, 3])) == 2


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filter(kind: int, row: bytes, prev: bytes) -> bytes:
    """The encoder's side of each filter, for the round-trip test."""
    out = bytearray()
    for x, value in enumerate(row):
        a = row[x - 3] if x >= 3 else 0
        b, c = prev[x], prev[x - 3] if x >= 3 else 0
        p = a + b - c
        paeth = (
            a
            if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
            else b
            if abs(p - b) <= abs(p - c)
            else c
        )
        out.append((value - (0, a, b, (a + b) // 2, paeth)[kind]) & 255)
    return bytes(out)
