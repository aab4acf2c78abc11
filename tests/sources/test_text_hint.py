"""Wordings and hints: ports from service names, and reasons that do not vary per line."""

from __future__ import annotations

from egressmap.sources.text_hint import port_number, wording


def test_port_number_reads_digits_and_service_names() -> None:
    """Digits, http/https/ftp names, and nothing for junk or out-of-range numbers."""
    assert [port_number(t) for t in ("443", "http", "HTTPS", "ftp", "0", "70000", "x", "")] == [
        443,
        80,
        443,
        21,
        None,
        None,
        None,
        None,
    ]


def test_hint_words_hide_addresses_and_timings() -> None:
    """IPs, object ids and long numbers become placeholders, so reasons stay few."""
    item = wording("t", "why", r"why: (?P<why>.*)", "{why}")
    (hint,) = item.hints("why: <Conn object at 0x7f2a8c1e9d50> 151.101.0.223:443 after 129877 ms")
    assert hint.what == "<Conn object at <id>> <ip>:443 after <n> ms"


def test_needle_gates_the_pattern() -> None:
    """A line without the needle yields nothing even if the pattern would match."""
    item = wording("t", "needle", r"x", "x")
    assert list(item.hints("x x x")) == []
    assert len(list(item.hints("needle x"))) == 1
