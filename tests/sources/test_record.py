from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.model import Observation, Skipped
from egressmap.proxy.record import Record
from egressmap.sources import FORMAT_NAMES, build_sources, choose
from egressmap.sources.record import ProxyRecord

LINES = [
    Record(
        "pypi.org", 443, "CONNECT", "10.0.0.5:40000", sni="pypi.org", status=200, time=1732186800.0
    ).to_json(),
    Record(
        "deb.debian.org",
        80,
        "GET",
        "10.0.0.6:40001",
        outcome="denied",
        status=403,
        reason="deb.debian.org is not in the policy",
        url="http://deb.debian.org/debian/x",
    ).to_json(),  # fmt: skip
    '{"record":"egressmap.record/1","host":"broken"',
    Record(
        "github.com",
        443,
        "CONNECT",
        "[::1]:5",
        outcome="denied",
        sni="evil.example",
        sni_mismatch=True,
        reason="TLS SNI 'evil.example' differs from the CONNECT host github.com",
    ).to_json(),  # fmt: skip
    Record("localhost", 8080, "GET", "10.0.0.5:1").to_json(),
    Record("10.1.2.3", 443, "TLS", "10.0.0.5:2", mode="transparent").to_json(),
]


def test_record_lines_become_observations() -> None:
    """Each record is a connect observation with the proxy's outcome; the mismatching SNI is one too."""
    items = list(ProxyRecord().read(LINES, "rec.jsonl"))
    observed = {(o.host, o.port, o.outcome, o.source) for o in items if isinstance(o, Observation)}
    assert observed == {
        ("pypi.org", 443, "allowed", "rec.jsonl:1"),
        ("deb.debian.org", 80, "denied", "rec.jsonl:2"),
        ("github.com", 443, "denied", "rec.jsonl:4"),
        ("evil.example", 443, "denied", "rec.jsonl:4"),
        ("10.1.2.3", 443, "allowed", "rec.jsonl:6"),
    }
    sni = next(o for o in items if isinstance(o, Observation) and o.host == "evil.example")
    assert "SNI does not match" in sni.reason and sni.clients == ("::1",)
    deb = next(o for o in items if isinstance(o, Observation) and o.host == "deb.debian.org")
    assert deb.url == "http://deb.debian.org/debian/x" and "denied by the proxy" in deb.reason
    transparent = next(o for o in items if isinstance(o, Observation) and o.host == "10.1.2.3")
    assert transparent.reason == "TLS connection seen by the egressmap transparent proxy"


def test_malformed_line_is_counted_with_its_line_number() -> None:
    """A cut-off line is malformed at its line; loopback is dropped at its line; the rest still count."""
    items = list(ProxyRecord().read(LINES, "rec.jsonl"))
    assert [(s.lineno, s.kind) for s in items if isinstance(s, Skipped)] == [(3, "malformed"), (5, "dropped")]


def test_record_files_are_sniffed() -> None:
    """The record format is registered and picked automatically."""
    assert "record" in FORMAT_NAMES
    assert choose(LINES[:2], build_sources()).name == "record"


def test_scan_and_build_read_a_record_file(tmp_path: object) -> None:
    """End to end through the CLI entry point: scan lists the destinations of a record file."""
    from pathlib import Path

    from egressmap.cli import main

    assert isinstance(tmp_path, Path)
    path = tmp_path / "record.jsonl"
    path.write_text("\n".join(LINES[:2]) + "\n")
    assert main(["scan", "-q", str(path), "--json"]) == 0
    assert main(["build", "-q", str(path), "-o", str(tmp_path / "p.yaml")]) == 0
    assert "deb.debian.org" in (tmp_path / "p.yaml").read_text()


@given(st.lists(st.text(max_size=200), max_size=10))
def test_record_parser_never_raises(lines: list[str]) -> None:
    """Arbitrary text yields observations or skipped lines, never an exception."""
    for item in ProxyRecord().read(lines, "x"):
        assert isinstance(item, Observation | Skipped)


@given(
    st.dictionaries(
        st.sampled_from(
            ["host", "port", "method", "outcome", "sni", "sni_mismatch", "time", "client", "url"]
        ),
        st.none() | st.integers() | st.text(max_size=30) | st.booleans(),
    )
)
def test_record_parser_survives_odd_fields(fields: dict[str, object]) -> None:
    """A marked record with odd field types is skipped, not a crash."""
    import json

    line = json.dumps({"record": "egressmap.record/1", **fields})
    for item in ProxyRecord().read([line], "x"):
        assert isinstance(item, Observation | Skipped)
