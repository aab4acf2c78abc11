"""Hostile host names never become rules: not through a log, not through a policy built by hand.

Every exporter (every flavor, and Squid's --full and --sni shapes) renders policies that carry injected
text; the injected text must not appear in any output, and hand-built entries with it are rejected and
counted at render time.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.aggregate import aggregate
from egressmap.exporters import EXPORTERS, ExportOptions
from egressmap.hostnames import normalize_host
from egressmap.model import Classification, Entry, Match, Observation, Policy
from egressmap.policy import build_policy
from egressmap.sources import build_sources

from .conftest import PROXY

INJECTIONS = [
    'evil.com"; pass ip any any -> any any (sid:1;)',
    "a.com\nhttp_access allow all",
    "a.com\r\nacl all src all",
    "x.com;rm -rf /",
    "<script>alert(1)</script>.com",
    "a.com' OR '1'='1",
    "a.com#comment",
    "$(reboot).example.com",
    "`id`.example.com",
    "a.com\x00b",
    "a.com --param",
    "evil.com/\nhttp_access allow all",
    'a.com}]},{"ruleType":"x',
    "a\u202eexample.com",
    "xn--zz.example.com",
    "l" * 70 + ".example.com",
]
"""Strings that try to end a line, a quoted string, a rule or a document in some target."""

#: The part of each injection that must never be in any output.
MARKERS = [
    "pass ip any any",
    "http_access allow all",
    "acl all src all",
    "rm -rf",
    "<script>",
    "OR '1'='1",
    "a.com#comment",
    "$(reboot)",
    "`id`",
    "\x00",
    "a.com --param",
    "http_access allow all",
    '"ruleType":"x',
    "\u202e",
    "xn--zz",
    "l" * 70,
]

VARIANTS = [
    (name, ExportOptions(scope="all", flavor=flavor or None, proxy=PROXY, regions=("us-east-1",)))
    for name, cls in sorted(EXPORTERS.items())
    for flavor in (cls.flavors or ("",))
] + [
    ("squid", ExportOptions(full=True, mode="enforce")),
    ("squid", ExportOptions(full=True, mode="audit")),
    ("squid", ExportOptions(sni=True)),
]
NO_INTERNET_NAMES = {"nsg", "pan-edl-ip", "vpc-endpoints"}
"""Targets that cannot name an internet host at all."""
POLICY_FORMATS = {"json", "csv", "markdown"}
"""Exports of the policy itself: they carry free text (reasons, sources) as escaped data."""


def _entry(
    pattern: str, hosts: tuple[str, ...], match: Match = "exact", reasons: tuple[str, ...] = ()
) -> Entry:
    return Entry(
        pattern,
        hosts,
        (443,),
        Classification(),
        "observed",
        1,
        0,
        reasons or ("observed: test",),
        ("access.log:1",),
        match=match,
    )


def _render_all(policy: Policy) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (name, (r := EXPORTERS[name]().render(policy, options)).text, r.rejected)
        for name, options in VARIANTS
    ]


def test_injections_through_logs_never_reach_an_output() -> None:
    """Squid, free-text and list lines carrying injections build a policy whose exports hold none of them."""
    sources = build_sources()
    lines = {
        "list": [*INJECTIONS, "pypi.org:443"],
        "text": [f"Downloading https://{s}/pkg.tar.gz" for s in INJECTIONS]
        + ["get https://pypi.org/simple/"],
        "squid": [
            f"1700000000.000 10 10.0.0.1 TCP_TUNNEL/200 100 CONNECT {s}:443 - HIER_DIRECT/1.2.3.4 -"
            for s in INJECTIONS
        ]
        + ["1700000000.000 10 10.0.0.1 TCP_TUNNEL/200 100 CONNECT pypi.org:443 - HIER_DIRECT/1.2.3.4 -"],
    }
    observations: list[Observation] = []
    for name, source_lines in lines.items():
        observations += [
            o for o in sources[name].read(iter(source_lines), f"{name}.log") if isinstance(o, Observation)
        ]
    policy = build_policy(aggregate(observations).values())
    assert "pypi.org" in {e.pattern for e in policy.entries}
    for name, text, _ in _render_all(policy):
        for marker in MARKERS:
            assert marker not in text, f"{name}: {marker!r} reached the output"


@pytest.mark.parametrize("hostile", INJECTIONS)
@pytest.mark.parametrize("match", ["exact", "apex-and-subdomains", "subdomains", "one-label"])
def test_hand_built_hostile_entries_are_rejected_at_render_time(hostile: str, match: Match) -> None:
    """An entry whose pattern or hosts bypassed ingest is refused by every exporter and counted."""
    pattern = hostile if match == "exact" else f"*.{hostile}"
    policy = Policy((_entry(pattern, (hostile,), match), _entry("pypi.org", ("pypi.org",))))
    for name, text, rejected in _render_all(policy):
        marker = MARKERS[INJECTIONS.index(hostile)]
        assert marker not in text, f"{name}: {marker!r} reached the output"
        assert len(rejected) == 1 and "rejected entry" in rejected[0], (name, rejected)
        if name not in NO_INTERNET_NAMES and "squid.conf, audit mode" not in text:
            assert "pypi.org" in text, name


def test_hostile_free_text_stays_inside_comments_and_strings() -> None:
    """Reasons, sources and inputs with line breaks never start a line of a config of their own."""
    evil = 'x\nhttp_access allow all\n# "; pass ip any any -> any any (sid:1;)'
    entry = replace(_entry("pypi.org", ("pypi.org",), reasons=(evil,)), sources=(evil,))
    policy = Policy((entry,), inputs=(evil,))
    for name, text, _ in _render_all(policy):
        if name in POLICY_FORMATS | {"html"}:
            continue  # data formats: free text is escaped data there (json, csv, markdown, html each test it)
        starts = [line.lstrip() for line in text.splitlines()]
        assert not any(s.startswith(("http_access allow all", "pass ip any")) for s in starts), name
        assert '"; pass' not in text and '\\"; pass' not in text, name


def _not_canonical(s: str) -> bool:
    try:
        return normalize_host(s) != s
    except ValueError:
        return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(min_size=1, max_size=40).map(lambda s: f"zq{s}qz.example.com").filter(_not_canonical),
    st.sampled_from(["exact", "apex-and-subdomains", "subdomains", "one-label"]),
)
def test_arbitrary_strings_never_reach_a_rule(raw: str, match: Match) -> None:
    """Any string that is not a canonical host name, built into any entry kind, appears in no output."""
    sources = build_sources()
    observed = [o for o in sources["list"].read(iter([raw]), "fuzz.log") if isinstance(o, Observation)]
    built = build_policy(aggregate(observed).values())
    pattern = raw if match == "exact" else f"*.{raw}"
    policy = Policy((*built.entries, _entry(pattern, (raw,), match)))
    for name, text, rejected in _render_all(policy):
        assert raw not in text, name
        assert rejected, name
