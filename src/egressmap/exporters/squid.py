r"""Squid: an include-able ``acl``/``http_access`` fragment, or with ``--full`` a complete minimal squid.conf.

How each kind of policy entry is written (Squid ``dstdomain`` semantics from squid-cache/squid
``src/anyp/Uri.cc`` ``matchDomainName`` @7c20a8a787; ACL types from ``src/cf.data.pre``,
https://www.squid-cache.org/Doc/config/acl):

==================== ============================================ ======================================
policy kind          Squid                                        exact?
==================== ============================================ ======================================
exact ``x.com``      ``dstdomain -n x.com``                       yes (``x.com`` only)
apex+subdomains      ``dstdomain -n .x.com``                      yes (``x.com`` and any depth below)
subdomains           ``dstdom_regex -n -i ^([a-z0-9_-]+\.)+x\.com$`` yes, through a regular expression
one-label            ``dstdom_regex -n -i ^[a-z0-9_-]+\.x\.com$``  yes, through a regular expression
IP literal           ``dstdomain -n 10.0.0.5`` (the URL's host)   yes (no reverse lookup with ``-n``)
IPv6 literal         ``dstdomain -n [2001:db8::10]``              yes (Squid keeps the URL's brackets)
==================== ============================================ ======================================

An IPv6 host is compared with its brackets: live Squid 5.7 matches ``dstdomain -n [::1]`` for both
``CONNECT [::1]:443`` and ``GET http://[::1]:8080/`` and never matches ``dstdomain -n ::1``.

``--sni`` adds ``ssl::server_name`` ACLs and peek-and-splice ``ssl_bump`` lines (:mod:`.squid_bump`); with
``--full`` the ``http_port`` gets ``ssl-bump`` and the certificate Squid requires for it.

Every rule is tied to its ports: one ``port`` ACL per port, so ``pypi.org`` on 443 does not open
``pypi.org:8080``. CONNECT is allowed to every port the policy uses; the fragment extends the stock
``SSL_ports`` ACL for ports other than 443 (the stock config denies CONNECT to them before the include).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from ..errors import ConfigError
from ..model import Policy
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule, RuleSet, safe_text
from .squid_bump import FRAGMENT_NEEDS, bump_lines, bump_port_options

PREFIX = "egressmap"

_PARAMS = {
    "listen": Param("3128", "--full: the http_port value ([ADDR:]PORT)"),
    "access_log": Param("daemon:/var/log/squid/access.log", "--full: where the access log goes"),
    "clients": Param(
        "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7",
        "--full: client networks allowed to use the proxy (space-separated CIDRs)",
    ),
    "bump_cert": Param(
        "/etc/squid/egressmap-bump.pem",
        "--full --sni: certificate (PEM) for the ssl-bump port; Squid requires one and shows it only to "
        "deliver the 403 of a denied CONNECT (e.g. openssl req -x509 -newkey rsa:2048 -nodes "
        "-subj /CN=egressmap-proxy -keyout KEY -out CERT)",
    ),
    "bump_key": Param("/etc/squid/egressmap-bump.key", "--full --sni: the private key (PEM) of bump_cert"),
}

#: A parse-friendly log line: Squid's native fields, then the CONNECT/URL host, port and TLS server name.
LOGFORMAT = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt %>rd %>rP"

_LISTEN = re.compile(r"^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?\d{1,5}$")
_CIDR = re.compile(r"^[0-9a-fA-F.:]+/\d{1,3}$")


class SquidExport(Exporter):
    """Squid ACLs for the allowlist: a fragment to include, or a complete config in audit or enforce mode."""

    name = "squid"
    description = "Squid acl/http_access fragment (--full: complete squid.conf, --mode audit|enforce)"
    default_scope = "all"
    params: ClassVar[Mapping[str, Param]] = MappingProxyType(_PARAMS)

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The fragment, or the whole squid.conf with ``options.full``."""
        ruleset = self.rules(policy, options)
        body, notes = _fragment(ruleset, options.sni, extend_ssl_ports=not options.full)
        if options.full and options.sni and options.mode == "audit":
            notes = ["--sni: audit mode allows every tunnel, so no TLS server name is checked"]
        if options.full:
            text = self._full(ruleset, body, options)
        else:
            text = "\n".join(
                [
                    "# egressmap allowlist for Squid: include this file in squid.conf before the final",
                    '# "http_access deny all", e.g. "include /etc/squid/conf.d/egressmap.conf".',
                    *(FRAGMENT_NEEDS if options.sni else []),
                    *_summary(policy, ruleset),
                    *body,
                ]
            )
        return Rendered(text + "\n", tuple(notes), ruleset.rejected)

    def _full(self, ruleset: RuleSet, body: list[str], options: ExportOptions) -> str:
        listen = str(self.param(options, "listen"))
        log = str(self.param(options, "access_log"))
        clients = str(self.param(options, "clients")).split()
        _check_full_params(listen, log, clients)
        if options.sni and options.mode == "enforce":
            cert, key = (str(self.param(options, k)) for k in ("bump_cert", "bump_key"))
            for k, path in (("bump_cert", cert), ("bump_key", key)):
                _check_path(k, path)
            listen = f"{listen} {bump_port_options(cert, key)}"
        ports = sorted({80, 443, *ruleset.ports()})
        enforce = options.mode == "enforce"
        lines = [
            f"# egressmap: complete squid.conf, {options.mode} mode: "
            + (
                "the allowlist passes, everything else gets 403."
                if enforce
                else "every request from the client networks passes and is logged."
            ),
            "# Read the log back with: egressmap scan --squid-conf THIS_FILE ACCESS_LOG",
            f"http_port {listen}",
            "visible_hostname egressmap-proxy",
            "cache deny all",
            "shutdown_lifetime 3 seconds",
            f"logformat {PREFIX} {LOGFORMAT}",
            f"access_log {log} {PREFIX}",
            f"acl {PREFIX}_clients src {' '.join(clients)}",
            "acl CONNECT method CONNECT",
            f"acl Safe_ports port {' '.join(str(p) for p in ports)}",
            f"acl SSL_ports port {' '.join(str(p) for p in ports if p != 80)}",
            "http_access deny !Safe_ports",
            "http_access deny CONNECT !SSL_ports",
            "http_access allow localhost manager",
            "http_access deny manager",
        ]
        if enforce:
            lines += [
                f"http_access deny !{PREFIX}_clients !localhost",
                *body,
                "http_access deny all",
            ]
        else:
            lines += [
                f"http_access allow {PREFIX}_clients",
                "http_access allow localhost",
                "http_access deny all",
            ]
        return "\n".join(lines)


def _summary(policy: Policy, ruleset: RuleSet) -> list[str]:
    inputs = ", ".join(safe_text(i, 60) for i in policy.inputs[:5]) or "none"
    return [f"# {len(ruleset.rules)} rules from {len(policy.entries)} policy entries; inputs: {inputs}"]


def _fragment(ruleset: RuleSet, sni: bool, extend_ssl_ports: bool) -> tuple[list[str], list[str]]:
    """ACL and http_access lines grouped by port, plus approximation notes."""
    lines: list[str] = []
    notes: list[str] = []
    other_tls = [p for p in ruleset.ports() if p not in (80, 443)]
    if other_tls and extend_ssl_ports:
        lines += [
            "# CONNECT to these ports is denied by the stock SSL_ports rule; this adds them to it.",
            f"acl SSL_ports port {' '.join(str(p) for p in other_tls)}",
        ]
    ip_acls: list[str] = []
    sni_acls: list[str] = []
    for port in ruleset.ports():
        rules = [r for r in ruleset.rules if port in r.ports]
        names = [r for r in rules if r.match in ("exact", "apex-and-subdomains") and not r.is_ip]
        domains = _uncovered(names)
        ips = [_ip_literal(r.name) for r in rules if r.is_ip]
        regexes = [_regex(r) for r in rules if r.match in ("subdomains", "one-label")]
        lines.append(f"# port {port}: {len(rules)} rules")
        lines.append(f"acl {PREFIX}_port_{port} port {port}")
        if domains:
            lines += _chunked(f"acl {PREFIX}_dst_{port} dstdomain -n", domains)
            lines.append(f"http_access allow {PREFIX}_port_{port} {PREFIX}_dst_{port}")
        if ips:
            lines += _chunked(f"acl {PREFIX}_ip_{port} dstdomain -n", ips)
            lines.append(f"http_access allow {PREFIX}_port_{port} {PREFIX}_ip_{port}")
            ip_acls.append(f"{PREFIX}_port_{port} {PREFIX}_ip_{port}")
        if regexes:
            lines += _chunked(f"acl {PREFIX}_re_{port} dstdom_regex -n -i", regexes)
            lines.append(f"http_access allow {PREFIX}_port_{port} {PREFIX}_re_{port}")
        if sni and port != 80:
            if domains:
                lines += _chunked(f"acl {PREFIX}_sni_{port} ssl::server_name", domains)
                sni_acls.append(f"{PREFIX}_port_{port} {PREFIX}_sni_{port}")
            if regexes:
                lines += _chunked(f"acl {PREFIX}_sni_re_{port} ssl::server_name_regex -i", regexes)
                sni_acls.append(f"{PREFIX}_port_{port} {PREFIX}_sni_re_{port}")
    if sni:
        lines += bump_lines(ruleset, ip_acls, sni_acls)
        if ip_acls:
            notes.append(
                "--sni: IP-literal entries have no TLS server name to check; their tunnels are "
                "spliced by their CONNECT rules (address and port) alone"
            )
    return lines, notes


def _ip_literal(address: str) -> str:
    """An address as Squid compares it with the URL or CONNECT host: IPv6 inside brackets.

    >>> _ip_literal("10.0.0.5"), _ip_literal("2001:db8::10")
    ('10.0.0.5', '[2001:db8::10]')
    """
    return f"[{address}]" if ":" in address else address


def _uncovered(rules: list[Rule]) -> list[str]:
    """Dstdomain values without those another value already covers (Squid refuses such overlaps)."""
    apexes = {r.name for r in rules if r.match == "apex-and-subdomains"}
    out = []
    for rule in rules:
        parents = rule.name.split(".")
        above = {".".join(parents[i:]) for i in range(1, len(parents))}
        if apexes & above or (rule.match == "exact" and rule.name in apexes):
            continue
        out.append(_domain(rule))
    return out


def _domain(rule: Rule) -> str:
    return ("." if rule.match == "apex-and-subdomains" else "") + rule.name


def _regex(rule: Rule) -> str:
    """An anchored POSIX extended regex: one label, or one or more labels, in front of the suffix."""
    suffix = re.escape(rule.name)
    label = "[a-z0-9_-]+"
    if rule.match == "one-label":
        return f"^{label}\\.{suffix}$"
    return f"^({label}\\.)+{suffix}$"


def _chunked(head: str, items: list[str], width: int = 8) -> list[str]:
    """One ACL over several lines (Squid appends values for a repeated ACL name)."""
    return [f"{head} {' '.join(items[i : i + width])}" for i in range(0, len(items), width)]


def _check_full_params(listen: str, log: str, clients: list[str]) -> None:
    if not _LISTEN.match(listen):
        raise ConfigError(f"squid: --param listen={listen!r} is not [ADDR:]PORT")
    _check_path("access_log", log)
    for cidr in clients:
        if not _CIDR.match(cidr):
            raise ConfigError(f"squid: --param clients: {cidr!r} is not a CIDR")


def _check_path(key: str, path: str) -> None:
    if not path or any(c.isspace() or c in "\"'#;" for c in path):
        raise ConfigError(f"squid: --param {key}={path!r} must be one path with no spaces or quotes")
