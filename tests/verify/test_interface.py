"""Target and result semantics."""

from __future__ import annotations

from egressmap.verify.interface import ProbeResult, Target, TargetResult


def test_names_and_summaries() -> None:
    """IPv6 in brackets; the summary is the deciding stage plus any warning."""
    assert Target("::1", 443, "https").name == "[::1]:443"
    result = TargetResult(
        Target("a.test", 443, "https"),
        (
            ProbeResult("tls", True, "TLSv1.3", 0.5, warning="certificate not valid: expired"),
            ProbeResult("http", True, "HTTP 200 OK", 0.25),
        ),
    )
    assert result.summary == "http: HTTP 200 OK; certificate not valid: expired"
    assert result.seconds == 0.75 and result.reached and result.stopped is None
    assert result.stages_text() == [
        "tls ok 0.500s TLSv1.3 (warning: certificate not valid: expired)",
        "http ok 0.250s HTTP 200 OK",
    ]


def test_blocked_expectation_inverts_the_verdict() -> None:
    """Stopped anywhere is a pass when blocked is expected; an empty run never counts as reached."""
    stopped = TargetResult(
        Target("x.test", 443, "https", "blocked"), (ProbeResult("dns", False, "NXDOMAIN"),)
    )
    assert stopped.passed and stopped.stopped is not None and stopped.summary == "dns: NXDOMAIN"
    assert not TargetResult(Target("x.test", 443, "https")).reached
