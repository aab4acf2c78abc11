"""The squid exporter: real ``squid -k parse`` on every output shape, and the meaning of each rule kind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.squid import SquidExport
from egressmap.model import Classification, Entry, Match, Policy, entry_covers

from ..integration.squidlab import _squid_binary

STOCK = """\
http_port 127.0.0.1:3999
acl SSL_ports port 443
acl Safe_ports port 80 443 1025-65535
acl CONNECT method CONNECT
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
include {fragment}
http_access deny all
"""
"""The shape of a distribution's squid.conf: the stock port rules, then the include, then deny all."""


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: test",), (), match=match
    )


OVERLAPS = Policy(
    (
        _entry("*.ubuntu.com", "apex-and-subdomains", (80, 443)),
        _entry("security.ubuntu.com", ports=(80,)),
        _entry("ubuntu.com"),
        _entry("pypi.org"),
        _entry("pypi.org", ports=(8443,)),
    )
)
"""Exact names under an apex wildcard: Squid warns about overlaps unless the exporter drops them."""


def _parse(conf: Path) -> list[str]:
    squid = _squid_binary()
    assert squid, "squid is not installed: scripts/test installs it from apt"
    done = subprocess.run(
        [squid, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=60, check=False
    )
    bad = [
        line for line in (done.stdout + done.stderr).splitlines() if re.search("FATAL|ERROR|WARNING", line)
    ]
    assert done.returncode == 0, done.stdout + done.stderr
    return bad


@pytest.mark.squid
@pytest.mark.parametrize("sni", [False, True])
@pytest.mark.parametrize("which", ["shared", "overlaps"])
def test_fragment_parses_when_included(sni: bool, which: str, shared_policy: Policy, tmp_path: Path) -> None:
    """squid -k parse accepts the fragment inside a stock-shaped config, without a warning."""
    policy = shared_policy if which == "shared" else OVERLAPS
    fragment = tmp_path / "egressmap.conf"
    fragment.write_text(SquidExport().render(policy, ExportOptions(sni=sni)).text)
    main = tmp_path / "squid.conf"
    main.write_text(STOCK.format(fragment=fragment))
    assert _parse(main) == []


@pytest.mark.squid
@pytest.mark.parametrize("mode", ["enforce", "audit"])
def test_full_config_parses(mode: str, shared_policy: Policy, tmp_path: Path) -> None:
    """The complete squid.conf passes squid -k parse in both modes."""
    conf = tmp_path / "squid.conf"
    conf.write_text(SquidExport().render(shared_policy, ExportOptions(full=True, mode=mode)).text)  # type: ignore[arg-type]
    assert _parse(conf) == []


def test_overlapping_values_are_dropped() -> None:
    """Names an apex rule covers are not repeated in the same port's dstdomain ACL."""
    text = SquidExport().render(OVERLAPS, ExportOptions()).text
    assert "acl egressmap_dst_80 dstdomain -n .ubuntu.com\n" in text
    assert "acl egressmap_dst_443 dstdomain -n .ubuntu.com pypi.org\n" in text
    assert "acl egressmap_dst_8443 dstdomain -n pypi.org\n" in text
    assert "acl SSL_ports port 8443\n" in text


@pytest.mark.parametrize(
    ("match", "host", "allowed"),
    [
        ("subdomains", "x.com", False),
        ("subdomains", "a.x.com", True),
        ("subdomains", "a.b.x.com", True),
        ("subdomains", "ax.com", False),
        ("subdomains", "a.x.com.evil.org", False),
        ("one-label", "x.com", False),
        ("one-label", "a.x.com", True),
        ("one-label", "a.b.x.com", False),
        ("one-label", "A.X.COM", True),
    ],
)
def test_regex_kinds_mean_what_the_policy_means(match: Match, host: str, allowed: bool) -> None:
    """The dstdom_regex written for subdomains and one-label entries agrees with entry_covers."""
    text = SquidExport().render(Policy((_entry("*.x.com", match),)), ExportOptions()).text
    (line,) = [x for x in text.splitlines() if "dstdom_regex" in x]
    pattern = line.split()[-1]
    assert bool(re.search(pattern, host, re.IGNORECASE)) is allowed
    assert entry_covers("*.x.com", match, host.lower()) is allowed


def test_full_enforce_denies_the_rest_and_audit_allows_clients(shared_policy: Policy) -> None:
    """enforce ends with deny all after the allowlist; audit allows the client networks."""
    squid = SquidExport()
    enforce = squid.render(shared_policy, ExportOptions(full=True)).text.splitlines()
    audit = squid.render(shared_policy, ExportOptions(full=True, mode="audit")).text.splitlines()
    assert enforce[-1] == "http_access deny all"
    assert enforce.index("http_access allow egressmap_port_443 egressmap_dst_443") < len(enforce) - 1
    assert "http_access allow egressmap_clients" in audit
    assert not any(line.startswith("acl egressmap_dst_") for line in audit)
    assert any(line.startswith("logformat egressmap ") for line in enforce)


@pytest.mark.parametrize(
    ("key", "value"),
    [("listen", "3128; http_access allow all"), ("access_log", "/var/log/a b"), ("clients", "all")],
)
def test_full_params_are_checked(key: str, value: str, shared_policy: Policy) -> None:
    """Settings that end up in squid.conf are validated before use."""
    with pytest.raises(ConfigError, match=key):
        SquidExport().render(shared_policy, ExportOptions(full=True, params={key: value}))


def _bump_files(tmp_path: Path) -> dict[str, str]:
    import trustme

    ca = trustme.CA()
    cert, key = tmp_path / "bump.pem", tmp_path / "bump.key"
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    return {"bump_cert": str(cert), "bump_key": str(key)}


CYCLECLOUD = Policy(
    (
        _entry("pypi.org"),
        _entry("*.blob.core.windows.net", "one-label"),
        _entry("10.1.0.4", ports=(5672, 9443)),
        _entry("2001:db8::10", ports=(443, 8080)),
    )
)
"""Names, a private server address on AMQP and HTTPS (CycleCloud's shape) and an IPv6 address."""


@pytest.mark.squid
def test_full_sni_has_an_ssl_bump_port_and_parses(tmp_path: Path) -> None:
    """--full --sni: the http_port has ssl-bump and its certificate (main's had none); squid -k parse is clean."""
    options = ExportOptions(full=True, sni=True, params=_bump_files(tmp_path))
    text = SquidExport().render(CYCLECLOUD, options).text
    (port,) = [line for line in text.splitlines() if line.startswith("http_port ")]
    assert port == (
        f"http_port 3128 ssl-bump tls-cert={tmp_path}/bump.pem tls-key={tmp_path}/bump.key "
        "generate-host-certificates=off"
    )
    conf = tmp_path / "squid.conf"
    conf.write_text(text)
    assert _parse(conf) == []


def test_sni_splices_ip_literals_before_peeking_and_terminates_the_rest() -> None:
    """IP-literal tunnels are spliced at step 1, names spliced by port and SNI, everything else terminated."""
    lines = SquidExport().render(CYCLECLOUD, ExportOptions(sni=True)).text.splitlines()
    bump = [x for x in lines if x.startswith(("ssl_bump ", "on_unsupported_protocol "))]
    assert bump == [
        "ssl_bump splice egressmap_step1 egressmap_port_443 egressmap_ip_443",
        "ssl_bump splice egressmap_step1 egressmap_port_5672 egressmap_ip_5672",
        "ssl_bump splice egressmap_step1 egressmap_port_8080 egressmap_ip_8080",
        "ssl_bump splice egressmap_step1 egressmap_port_9443 egressmap_ip_9443",
        "ssl_bump peek egressmap_step1",
        "ssl_bump splice egressmap_port_443 egressmap_sni_443",
        "ssl_bump splice egressmap_port_443 egressmap_sni_re_443",
        "ssl_bump terminate all",
        "on_unsupported_protocol tunnel egressmap_port_5672",
        "on_unsupported_protocol tunnel egressmap_port_8080",
        "on_unsupported_protocol tunnel egressmap_port_9443",
    ]
    assert "acl egressmap_sni_443 ssl::server_name pypi.org" in lines


def test_sni_fragment_says_what_it_needs() -> None:
    """The --sni fragment names the ssl-bump http_port options squid.conf must carry for it to work."""
    text = SquidExport().render(CYCLECLOUD, ExportOptions(sni=True)).text
    assert "http_port 3128 ssl-bump tls-cert=" in text
    assert "generate-host-certificates=off" in text
    assert "Squid ignores every ssl_bump line" in text


def test_ipv6_entries_are_written_as_squid_compares_them() -> None:
    """An IPv6 entry is dstdomain -n [addr] (Squid keeps the brackets; main wrote the bare address)."""
    text = SquidExport().render(CYCLECLOUD, ExportOptions()).text
    assert "acl egressmap_ip_8080 dstdomain -n [2001:db8::10]\n" in text
    assert "acl egressmap_ip_5672 dstdomain -n 10.1.0.4\n" in text
    assert "dstdomain -n 2001:db8::10" not in text


@pytest.mark.parametrize("key", ["bump_cert", "bump_key"])
def test_bump_paths_are_checked(key: str, shared_policy: Policy) -> None:
    """Certificate paths that end up on the http_port line are validated."""
    with pytest.raises(ConfigError, match=key):
        SquidExport().render(shared_policy, ExportOptions(full=True, sni=True, params={key: "/a b"}))


def test_audit_mode_has_no_ssl_bump_and_says_sni_is_unused(shared_policy: Policy) -> None:
    """--full --sni --mode audit allows every tunnel: no ssl-bump port, and a note says --sni does nothing."""
    rendered = SquidExport().render(shared_policy, ExportOptions(full=True, sni=True, mode="audit"))
    assert "ssl-bump" not in rendered.text
    assert any("audit mode" in note for note in rendered.approximations)
