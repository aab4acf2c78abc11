r"""Suricata allowlist rules in the shape AWS Network Firewall generates for domain lists.

Shared by the ``suricata`` exporter and by ``aws-network-firewall`` (its ``RulesString``).

Sources:
- AWS Network Firewall, the rules a domain-list allowlist generates, and the rule caveats (``pcre`` only together
  with ``content``; no ``priority`` under strict order; "drop established"):
  https://docs.aws.amazon.com/network-firewall/latest/developerguide/suricata-examples.html
- Suricata rule syntax (quoted option values; ``"``, ``;`` and ``\`` must be escaped, ``|`` starts hex in
  ``content``): https://docs.suricata.io/en/latest/rules/intro.html
- ``dotprefix``: https://docs.suricata.io/en/latest/rules/transforms.html
- ``http.host`` is normalised to lower case, so its rules carry no ``nocase``:
  https://docs.suricata.io/en/latest/rules/http-keywords.html

Meaning of each match kind (``x.com`` stands for the rule's name):

========================  ===========================================================================
exact                     ``content:"x.com"; startswith; nocase; endswith;`` (AWS's exact shape)
apex-and-subdomains       ``dotprefix; content:".x.com"; nocase; endswith;`` (AWS's ``.x.com`` shape)
subdomains                ``content:".x.com"; nocase; endswith;``: without ``dotprefix`` the apex is too
                          short to end with ``.x.com``, so every depth matches but the apex does not
one-label                 as subdomains plus ``pcre:"/^[a-z0-9-]+\.x\.com$/i";`` (exactly one LDH label)
========================  ===========================================================================

The HTTP rules are the same without ``nocase`` and without ``/i`` (``http.host`` is already lower case).

Ports: AWS's generated rules match ``any`` port. Here each rule names the policy's ports instead: port 80
becomes an ``http`` rule, port 443 a ``tls`` rule, and any other port both (the policy does not say which
protocol runs there), with an approximation note. IP literals become ``pass tcp`` rules to the address on its
ports. Then one ``drop`` rule per protocol for everything else, as AWS generates them (without ``priority``,
which strict order does not support).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError
from .interface import why
from .rules import Rule, safe_text

__all__ = ["MAX_SID", "RuleLines", "allowlist", "name_options", "pcre_pattern", "port_spec"]

Proto = Literal["tls", "http"]

MAX_SID = 2**32 - 1
"""Suricata signature ids are unsigned 32-bit integers."""

_SAFE_CONTENT = re.compile(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*")
_LABEL = re.compile(r"[a-z0-9-]+")
_ONE_LABEL = "[a-z0-9-]+"
_FLOW = "flow:to_server, established;"
_KIND_TEXT = {
    "exact": "{}",
    "apex-and-subdomains": "{0} and *.{0}",
    "subdomains": "*.{} (subdomains only)",
    "one-label": "*.{} (one label)",
}


@dataclass(frozen=True)
class RuleLines:
    """Rule lines in evaluation order, plus what they could not say exactly."""

    lines: tuple[str, ...]
    approximations: tuple[str, ...] = ()


def allowlist(rules: Sequence[Rule], sid_start: int) -> RuleLines:
    """Pass rules for ``rules`` (IP literals first, then TLS, then HTTP), then the two drop rules."""
    ips = [r for r in rules if r.is_ip]
    names = [r for r in rules if not r.is_ip]
    body: list[str] = []
    notes: list[str] = []
    for r in ips:
        msg = _msg(f"egressmap tcp {r.name}: {why(r.entry)}")
        body.append(f'pass tcp $HOME_NET any -> {r.name} {port_spec(r.ports)} (msg:"{msg}"; flow:to_server; ')
    for proto in ("tls", "http"):
        for r in names:
            ports = _ports_for(proto, r.ports)
            if ports:
                body.append(_pass_rule(proto, r, ports))
    for r in names:
        other = [p for p in r.ports if p not in (80, 443)]
        if other:
            notes.append(
                f"{r.name} port(s) {', '.join(map(str, other))}: the policy does not say which protocol; "
                "written as both TLS (SNI) and HTTP (Host) rules, other protocols cannot be matched by name"
            )
    body.append(
        'drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"not matching any TLS allowlisted FQDNs"; '
        f"ssl_state:client_hello; {_FLOW} "
    )
    body.append(
        'drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:"|0d 0a|"; startswith; '
        f'msg:"not matching any HTTP allowlisted FQDNs"; {_FLOW} '
    )
    if sid_start < 1 or sid_start + len(body) - 1 > MAX_SID:
        raise ConfigError(f"sid_start={sid_start}: {len(body)} rules need sids from 1 to {MAX_SID}")
    lines = tuple(f"{line}sid:{sid_start + i}; rev:1;)" for i, line in enumerate(body))
    return RuleLines(lines, tuple(notes))


def name_options(proto: Proto, name: str, match: str) -> str:
    r"""The options that match ``name`` by ``match`` kind in the TLS SNI or HTTP Host buffer.

    >>> name_options("tls", "pypi.org", "exact")
    'tls.sni; content:"pypi.org"; startswith; nocase; endswith;'
    >>> name_options("http", "ubuntu.com", "apex-and-subdomains")
    'http.host; dotprefix; content:".ubuntu.com"; endswith;'
    >>> name_options("tls", "x.com", "one-label")
    'tls.sni; content:".x.com"; nocase; endswith; pcre:"/^[a-z0-9-]+\\.x\\.com$/i";'
    """
    nocase = " nocase;" if proto == "tls" else ""
    buffer = "tls.sni;" if proto == "tls" else "http.host;"
    if match == "exact":
        return f'{buffer} content:"{_content(name)}"; startswith;{nocase} endswith;'
    if match == "apex-and-subdomains":
        return f'{buffer} dotprefix; content:"{_content("." + name)}";{nocase} endswith;'
    opts = f'{buffer} content:"{_content("." + name)}";{nocase} endswith;'
    if match == "one-label":
        opts += f' pcre:"{pcre_pattern(name, caseless=proto == "tls")}";'
    elif match != "subdomains":
        raise ValueError(f"unknown match kind {match!r}")
    return opts


def pcre_pattern(name: str, *, caseless: bool) -> str:
    r"""The anchored PCRE for exactly one LDH label in front of ``name``, in Suricata's ``/.../flags`` form.

    >>> pcre_pattern("blob.core.windows.net", caseless=True)
    '/^[a-z0-9-]+\\.blob\\.core\\.windows\\.net$/i'
    """
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{name!r} is not a lower-case LDH name")
    escaped = r"\.".join(labels)
    return f"/^{_ONE_LABEL}\\.{escaped}$/" + ("i" if caseless else "")


def port_spec(ports: Iterable[int]) -> str:
    """A Suricata port or port group.

    >>> port_spec([443])
    '443'
    >>> port_spec([443, 8443])
    '[443,8443]'
    """
    shown = [str(p) for p in sorted(set(ports))]
    return shown[0] if len(shown) == 1 else f"[{','.join(shown)}]"


def _ports_for(proto: Proto, ports: Sequence[int]) -> list[int]:
    """Port 80 is HTTP, 443 is TLS, any other port could be either."""
    skip = 443 if proto == "http" else 80
    return [p for p in ports if p != skip]


def _pass_rule(proto: Proto, rule: Rule, ports: Sequence[int]) -> str:
    """A pass rule in AWS's generated shape, with the policy's ports."""
    state = "ssl_state:client_hello; " if proto == "tls" else ""
    what = _KIND_TEXT[rule.match].format(rule.name)
    msg = _msg(f"egressmap {proto} {what}: {why(rule.entry)}")
    return (
        f"pass {proto} $HOME_NET any -> $EXTERNAL_NET {port_spec(ports)} "
        f'({state}{name_options(proto, rule.name, rule.match)} msg:"{msg}"; {_FLOW} '
    )


def _content(value: str) -> str:
    """A ``content`` value; only LDH names reach here, so nothing needs escaping (anything else is refused)."""
    if not _SAFE_CONTENT.fullmatch(value):
        raise ValueError(f"{value!r} is not a lower-case LDH name")
    return value


def _msg(text: str) -> str:
    """``msg`` text: ``safe_text`` drops quotes, semicolons, backslashes and pipes (``;`` reads as ``,``)."""
    return safe_text(text.replace(";", ","), 120)
