"""Proxy choice: --proxy, the proxy variables and no_proxy, the way curl reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egressmap.errors import ConfigError
from egressmap.verify.interface import Target
from egressmap.verify.proxyenv import ProxyChoice, bypassed, parse_proxy


def test_parse_proxy_reads_credentials_without_showing_them() -> None:
    """user:password becomes a Basic Proxy-Authorization value; the URL shown has no credentials."""
    proxy = parse_proxy("http://u%40x:p@Proxy.Corp:8080")
    assert (proxy.host, proxy.port, proxy.url) == ("proxy.corp", 8080, "http://proxy.corp:8080")
    assert proxy.authorization == "Basic dUB4OnA="


@pytest.mark.parametrize("bad", ["https://proxy:3128", "socks5://p:1080", "http://", "http://bad host:1"])
def test_parse_proxy_refuses_what_it_cannot_do(bad: str) -> None:
    """Only http:// proxies with a valid host; the message names the flag."""
    with pytest.raises(ConfigError, match="--proxy"):
        parse_proxy(bad)


@pytest.mark.parametrize(
    ("host", "no_proxy", "expected"),
    [
        ("s3.amazonaws.com", "amazonaws.com", True),
        ("s3.amazonaws.com", ".amazonaws.com", True),
        ("s3.amazonaws.com", "*.amazonaws.com", True),
        ("amazonaws.com", ".amazonaws.com", True),
        ("notamazonaws.com", "amazonaws.com", False),
        ("pypi.org", "*", True),
        ("pypi.org", " github.com , pypi.org ", True),
        ("169.254.169.254", "169.254.169.254", True),
        ("10.2.3.4", "10.0.0.0/8", True),
        ("11.2.3.4", "10.0.0.0/8", False),
        ("fd00:ec2::254", "[fd00:ec2::254]", True),
        ("pypi.org", "", False),
    ],
)
def test_no_proxy_matching(host: str, no_proxy: str, expected: bool) -> None:
    """Suffixes with or without a leading dot or star, *, exact IPs and CIDRs."""
    assert bypassed(host, no_proxy) is expected


@given(st.text(max_size=80))
def test_no_proxy_never_crashes(value: str) -> None:
    """Any no_proxy value is read without an exception."""
    assert bypassed("pypi.org", value) in (True, False)


def test_environment_variables_follow_curl() -> None:
    """http_proxy only in lower case, https_proxy in either, all_proxy as the fallback; tcp never proxied."""
    env = {"HTTP_PROXY": "http://upper:1", "HTTPS_PROXY": "http://secure:2", "ALL_PROXY": "http://all:3"}
    choice = ProxyChoice(None, env)
    https, http, tcp = (Target("pypi.org", p, k) for p, k in ((443, "https"), (80, "http"), (22, "tcp")))  # type: ignore[arg-type]
    assert choice.for_target(https).url == "http://secure:2"  # type: ignore[union-attr]
    assert choice.for_target(http).url == "http://all:3"  # type: ignore[union-attr]
    assert choice.for_target(tcp) is None


def test_explicit_proxy_wins_but_no_proxy_still_applies() -> None:
    """--proxy replaces the variables; no_proxy still exempts names, as curl -x does."""
    choice = ProxyChoice("127.0.0.1:3128", {"https_proxy": "http://other:1", "no_proxy": "internal.test"})
    assert choice.for_target(Target("pypi.org", 443, "https")).url == "http://127.0.0.1:3128"  # type: ignore[union-attr]
    assert choice.for_target(Target("a.internal.test", 443, "https")) is None


def test_variables_can_be_ignored() -> None:
    """--no-env-proxy: direct unless --proxy is given."""
    assert (
        ProxyChoice(None, {"https_proxy": "http://p:1"}, use_env=False).for_target(
            Target("x.test", 443, "https")
        )
        is None
    )


def test_a_bad_variable_names_itself() -> None:
    """A malformed proxy variable is reported by name."""
    with pytest.raises(ConfigError, match=r"\$https_proxy"):
        ProxyChoice(None, {"https_proxy": "ftp://p:1"})
