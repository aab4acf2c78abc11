"""Zeek dns, ssl, http and conn logs, TSV (by ``#fields``) and JSON lines.

The TSV fixtures in ``tests/data/sources/zeek/`` are written as Zeek writes them (header lines, ``#types``,
``-`` unset, ``(empty)``, ``,``-separated vectors, ``#close`` footer); field lists of Zeek 5-7.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egressmap.model import Observation, Skipped
from egressmap.sources import FORMAT_NAMES, build_sources, choose
from egressmap.sources.interface import Item
from egressmap.sources.zeek import ZeekLog, ZeekRecord, infer_log, parse

DATA = Path(__file__).parent.parent / "data" / "sources" / "zeek"


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines(keepends=True)


def _read(lines: list[str], origin: str = "z.log") -> tuple[list[Observation], list[Skipped]]:
    items: list[Item] = list(ZeekLog().read(lines, origin))
    return [i for i in items if isinstance(i, Observation)], [i for i in items if isinstance(i, Skipped)]


def test_dns_log_maps_every_field() -> None:
    """dns.log: query name, client, time, rcode to outcome, kind dns with 443 assumed; PTR and unset dropped."""
    obs, skipped = _read(_lines("dns.log"), "dns.log")
    first = obs[0]
    assert (first.host, first.port, first.kind, first.tier, first.scheme) == (
        "ssm.us-east-1.amazonaws.com",
        443,
        "dns",
        "observed",
        None,
    )
    assert first.clients == ("10.0.12.34",) and first.time == pytest.approx(1793696041.201347)
    assert first.source == "dns.log:9" and first.outcome == "allowed"
    assert (
        "DNS A query" in first.reason and "Zeek (dns.log)" in first.reason and "443 assumed" in first.reason
    )
    outcomes = {o.host: o.outcome for o in obs}
    assert outcomes == {
        "ssm.us-east-1.amazonaws.com": "allowed",
        "pypi.org": "allowed",
        "no-such-mirror.example.org": "nxdomain",
        "repo.internal.example.com": "failed",
        "github.com": "allowed",
    }
    assert all(o.kind == "dns" and "DNS" in o.reason for o in obs)
    assert [(s.lineno, s.kind) for s in skipped] == [(13, "dropped"), (14, "dropped")]
    assert "PTR" in skipped[0].reason and "without a query name" in skipped[1].reason


def test_dns_answers_are_kept_in_the_parsed_record() -> None:
    """The answers (a vector) stay on the record for a later join of flows to names; (empty) and - give none."""
    records = [r for r in parse(_lines("dns.log"), "dns.log") if isinstance(r, ZeekRecord)]
    by_query = {r.text("query"): r for r in records}
    assert by_query["ssm.us-east-1.amazonaws.com"].answers == ("52.46.141.18", "52.46.137.102")
    assert by_query["github.com"].answers == ("140.82.112.3",)
    assert by_query["pypi.org"].answers == () and by_query["no-such-mirror.example.org"].answers == ()
    assert {r.log for r in records} == {"dns"}
    more = parse([*_lines("dns.log"), "#fields\tquery\tanswers\n", "a.example.org\t192.0.2.1\n"], "d")
    kept = [r for r in more if isinstance(r, ZeekRecord)]
    assert kept[0].answers == ("52.46.141.18", "52.46.137.102") and kept[-1].answers == ("192.0.2.1",)


def test_ssl_log_sni_port_and_established() -> None:
    """ssl.log: SNI on id.resp_p, https; established F is failed; no SNI gives the address, name not visible."""
    obs, skipped = _read(_lines("ssl.log"), "ssl.log")
    assert not skipped
    assert [(o.host, o.port, o.outcome, o.scheme, o.kind) for o in obs] == [
        ("ssm.us-east-1.amazonaws.com", 443, "allowed", "https", "connect"),
        ("files.pythonhosted.org", 8443, "failed", "https", "connect"),
        ("203.0.113.80", 443, "allowed", "https", "connect"),
    ]
    assert obs[0].reason == "TLS SNI seen by Zeek (ssl.log)" and obs[0].clients == ("10.0.12.34",)
    assert "name not visible" in obs[2].reason and "unattributed IP" in obs[2].reason


def test_http_log_host_port_url_and_connect() -> None:
    """http.log: Host on id.resp_p (URL without query), CONNECT names its own port, no Host gives the address."""
    obs, skipped = _read(_lines("http.log"), "http.log")
    assert not skipped
    assert [(o.host, o.port, o.scheme, o.outcome) for o in obs] == [
        ("deb.debian.org", 80, "http", "allowed"),
        ("api.github.com", 443, "https", "allowed"),
        ("198.51.100.7", 8080, "http", "unknown"),
        ("registry.npmjs.org", 80, "http", "allowed"),
    ]
    assert obs[0].url == "http://deb.debian.org/debian/dists/bookworm/InRelease"
    assert obs[0].reason == "HTTP GET request seen by Zeek (http.log)"
    assert obs[1].reason == "HTTP CONNECT seen by Zeek (http.log)" and obs[1].url is None
    assert "unattributed IP" in obs[2].reason and obs[2].clients == ("10.0.12.36",)


def test_conn_log_ip_destinations_and_states() -> None:
    """conn.log: id.resp_h:id.resp_p as unattributed IPs; REJ and S0 failed; ICMP and link-local dropped."""
    obs, skipped = _read(_lines("conn.log"), "conn.log")
    assert [(o.host, o.port, o.outcome, o.scheme) for o in obs] == [
        ("52.46.141.18", 443, "allowed", "https"),
        ("198.51.100.20", 22, "failed", None),
        ("198.51.100.21", 5432, "failed", None),
    ]
    assert all("unattributed IP" in o.reason and "conn.log" in o.reason for o in obs)
    assert "state S0" in obs[1].reason and "state REJ" in obs[2].reason
    assert [(s.lineno, s.kind) for s in skipped] == [(12, "dropped"), (13, "dropped")]
    assert "ICMP" in skipped[0].reason and "169.254.169.123" in skipped[1].reason


def test_fields_are_taken_from_the_header_not_by_position() -> None:
    """An older dns.log (no rtt, other order) and a custom column order read the same names."""
    header = [
        "#separator \\x09\n",
        "#path\tdns\n",
        "#fields\tquery\tid.orig_h\tts\tid.resp_p\trcode_name\tanswers\n",
        "#types\tstring\taddr\ttime\tport\tstring\tvector[string]\n",
    ]
    obs, skipped = _read([*header, "pypi.org.\t10.0.3.3\t1793696060.5\t53\tNXDOMAIN\t-\n"])
    assert not skipped  # the query's trailing dot (some writers keep it) is dropped
    assert (obs[0].host, obs[0].clients, obs[0].time, obs[0].outcome) == (
        "pypi.org",
        ("10.0.3.3",),
        1793696060.5,
        "nxdomain",
    )


def test_a_header_without_separator_line_uses_the_tab() -> None:
    """A log whose #separator line was lost (a tool kept #fields only) is still read by its #fields."""
    lines = [line for line in _lines("ssl.log") if not line.startswith("#separator")]
    assert ZeekLog().sniff(lines[:12]) == 1.0
    obs, skipped = _read(lines)
    assert len(obs) == 3 and not skipped


def test_concatenated_logs_switch_header() -> None:
    """``cat dns.log conn.log``: each part is read with its own header."""
    obs, skipped = _read(_lines("dns.log") + _lines("conn.log"))
    assert {o.kind for o in obs} == {"dns", "connect"}
    assert any(o.host == "198.51.100.21" for o in obs) and len(skipped) == 4


def test_bad_tsv_lines_are_counted_with_line_numbers() -> None:
    """A row with too few or too many columns is malformed at its line; the good rows stay."""
    lines = _lines("ssl.log")
    cut = lines[8].rsplit("\t", 3)[0] + "\n"
    joined = lines[9].rstrip("\n") + "\textra\n"
    obs, skipped = _read([*lines[:8], cut, joined, lines[10]])
    assert [o.host for o in obs] == ["203.0.113.80"]
    assert [(s.lineno, s.kind) for s in skipped] == [(9, "malformed"), (10, "malformed")]
    assert "15 columns where #fields names 18" in skipped[0].reason
    assert "19 columns" in skipped[1].reason


def test_tsv_without_fields_header_is_said_so() -> None:
    """Rows with no #fields header before them: each malformed with what to do."""
    rows = [line for line in _lines("dns.log") if not line.startswith("#")]
    obs, skipped = _read(rows)
    assert not obs and [s.lineno for s in skipped] == list(range(1, len(rows) + 1))
    assert "before any #fields header" in skipped[0].reason


def test_a_zeek_log_of_another_kind_is_dropped_by_name() -> None:
    """files.log is a Zeek log egressmap does not read: each line dropped with its #path."""
    lines = [
        "#separator \\x09\n",
        "#path\tfiles\n",
        "#fields\tts\tfuid\tmime_type\n",
        "1.0\tF1\ttext/plain\n",
    ]
    obs, skipped = _read(lines)
    assert not obs and skipped[0].kind == "dropped" and "#path files" in skipped[0].reason
    assert ZeekLog().sniff(lines) < 0


JSON_DNS = {
    "ts": 1793696070.412,
    "uid": "CJs0aT4mW8qZ2xLp7e",
    "id.orig_h": "10.0.12.40",
    "id.orig_p": 51000,
    "id.resp_h": "10.0.0.2",
    "id.resp_p": 53,
    "proto": "udp",
    "trans_id": 3301,
    "rtt": 0.0021,
    "query": "ssmmessages.us-east-1.amazonaws.com",
    "qclass": 1,
    "qclass_name": "C_INTERNET",
    "qtype": 1,
    "qtype_name": "A",
    "rcode": 0,
    "rcode_name": "NOERROR",
    "AA": False,
    "TC": False,
    "RD": True,
    "RA": True,
    "Z": 0,
    "answers": ["52.46.150.1", "52.46.150.2"],
    "TTLs": [4.0, 4.0],
    "rejected": False,
}
JSON_SSL = {
    "ts": "2026-11-03T09:15:00.250Z",
    "uid": "CYf1bN6xH3kP9dQ2r8",
    "id.orig_h": "10.0.12.40",
    "id.orig_p": 51002,
    "id.resp_h": "52.46.150.1",
    "id.resp_p": 443,
    "version": "TLSv13",
    "server_name": "ssmmessages.us-east-1.amazonaws.com",
    "resumed": False,
    "established": False,
    "ssl_history": "Cs",
}
JSON_CONN = {
    "ts": 1793696071.0,
    "uid": "CYf1bN6xH3kP9dQ2r8",
    "id_orig_h": "10.0.12.40",
    "id_orig_p": 51002,
    "id_resp_h": "52.46.150.1",
    "id_resp_p": 443,
    "proto": "tcp",
    "conn_state": "REJ",
    "history": "Sr",
}
JSON_HTTP = {
    "ts": 1793696072.5,
    "id.orig_h": "10.0.12.41",
    "id.resp_h": "151.101.64.223",
    "id.resp_p": 80,
    "method": "GET",
    "host": "deb.debian.org",
    "uri": "/debian/pool/main/c/curl/curl_8.5.0-2_amd64.deb",
    "status_code": 200,
    "_path": "http",
}


def _json(*records: dict[str, object]) -> list[str]:
    return [json.dumps(r) + "\n" for r in records]


def test_json_lines_infer_the_log_from_the_fields() -> None:
    """JSON logs: the log type from the fields (or _path); bools, arrays, ISO ts and id_orig_h all read."""
    lines = _json(JSON_DNS, JSON_SSL, JSON_CONN, JSON_HTTP)
    assert ZeekLog().sniff(lines) == 1.0
    records = [r for r in parse(lines, "z.json") if isinstance(r, ZeekRecord)]
    assert [r.log for r in records] == ["dns", "ssl", "conn", "http"]
    assert records[0].answers == ("52.46.150.1", "52.46.150.2")
    obs, skipped = _read(lines)
    assert not skipped
    assert [(o.host, o.port, o.kind, o.outcome) for o in obs] == [
        ("ssmmessages.us-east-1.amazonaws.com", 443, "dns", "allowed"),
        ("ssmmessages.us-east-1.amazonaws.com", 443, "connect", "failed"),
        ("52.46.150.1", 443, "connect", "failed"),
        ("deb.debian.org", 80, "connect", "allowed"),
    ]
    assert obs[1].time == pytest.approx(1793696100.25) and obs[2].clients == ("10.0.12.40",)


def test_json_cut_mid_record_is_counted_and_the_rest_kept() -> None:
    """A JSON line cut mid-record is malformed at its line number; the records around it are read."""
    whole = _json(JSON_DNS, JSON_SSL)
    lines = [whole[0], whole[1][:40] + "\n", whole[1], '{"ts":1.0,"fuid":"F1","mime_type":"x"}\n']
    obs, skipped = _read(lines)
    assert len(obs) == 2
    assert [(s.lineno, s.kind) for s in skipped] == [(2, "malformed"), (4, "dropped")]
    assert "cut short" in skipped[0].reason and "does not read" in skipped[1].reason


def test_bad_values_are_malformed_not_fatal() -> None:
    """A bad port or ts is a malformed line; the next line is still read."""
    bad_port = {**JSON_CONN, "id_resp_p": "http"}
    bad_ts = {**JSON_CONN, "ts": "yesterday"}
    obs, skipped = _read(_json(bad_port, bad_ts, JSON_CONN))
    assert len(obs) == 1 and [s.lineno for s in skipped] == [1, 2]
    assert "id.resp_p" in skipped[0].reason and "bad ts" in skipped[1].reason


def test_infer_log() -> None:
    """Each log by its distinctive fields; other logs none."""
    assert infer_log(["query", "rcode_name"]) == "dns"
    assert infer_log(["server_name", "established"]) == "ssl"
    assert infer_log(["host", "method", "uri"]) == "http"
    assert infer_log(["conn_state"]) == "conn"
    assert infer_log(["fuid", "mime_type"]) is None


def test_registered_and_chosen_first() -> None:
    """zeek is a format name, and auto picks it for TSV and JSON Zeek logs (not Squid, text or record)."""
    assert "zeek" in FORMAT_NAMES
    sources = build_sources()
    for name in ("dns.log", "ssl.log", "http.log", "conn.log"):
        assert choose(_lines(name)[:20], sources).name == "zeek"
    assert choose(_json(JSON_DNS, JSON_CONN), sources).name == "zeek"
    assert choose(["pypi.org\n", "github.com:443\n"], sources).name != "zeek"
    assert choose(
        ['{"version":"1.100000","query_name":"pypi.org.","srcaddr":"10.0.0.5"}\n'], sources
    ).name != ("zeek")


@given(st.lists(st.text(alphabet=st.sampled_from('\t{}"#:,.-x\\0a19 '), max_size=40), max_size=12))
def test_any_text_gives_items_never_an_exception(lines: list[str]) -> None:
    """Whatever follows a Zeek header, each line is an observation or a skipped line, never an exception."""
    header = _lines("conn.log")[:8]
    items = list(ZeekLog().read([*header, *(line + "\n" for line in lines)], "f"))
    items += ZeekLog().read(["#separator \n", *(line + "\n" for line in lines)], "f")
    assert all(isinstance(i, Observation | Skipped) for i in items)
