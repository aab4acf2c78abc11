"""Palo Alto PAN-OS External Dynamic Lists: URL (the allowlist), IP, and domain (DNS Security only).

How each list type is used (PAN-OS docs):

- A **URL List** EDL is handled like a custom URL category: it is selected as the *URL Category* match of a
  Security policy rule (or in a URL Filtering profile). That rule's *Service* (and *Application*) decides the
  ports, since list entries carry none. PAN-OS 7.1 "Support for URLs in an External Dynamic List":
  https://docs.paloaltonetworks.com/pan-os/7-1/pan-os-new-features/content-inspection-features/support-for-urls-in-an-external-dynamic-list
  The firewall skips IP addresses in a URL list ("the firewall skips non-URL entries"):
  https://docs.paloaltonetworks.com/pan-os/10-2/pan-os-admin/url-filtering/use-an-external-dynamic-list-in-a-url-filtering-profile
- An **IP Address** EDL is an address object for the Destination of a Security policy rule; lines are
  ``IP[/mask] [comment]``, IPv6 written as is:
  https://docs.paloaltonetworks.com/network-security/security-policy/administration/objects/external-dynamic-lists/formatting-guidelines-for-an-external-dynamic-list
- A **Domain List** EDL is used in an Anti-Spyware profile's DNS signature policies (DNS Security): sinkhole,
  block, alert or allow DNS queries. It is not a Security rule match, so it cannot be an egress allowlist:
  https://docs.paloaltonetworks.com/pan-os/8-0/pan-os-web-interface-help/objects/objects-external-dynamic-lists
  and https://docs.paloaltonetworks.com/pan-os/10-0/pan-os-admin/threat-prevention/use-dns-queries-to-identify-infected-hosts-on-the-network/configure-dns-sinkholing-for-a-list-of-custom-domains.html

Token rules (domain list and URL list pages, URL category exception guidelines; summarised in
``docs/reference/formats-and-anchors.md`` A3 and B2):

- URL list: entries that do not end in ``/`` or ``*`` get an implicit trailing ``/``, and without it
  ``x.com`` also matches ``x.com.au``, so every entry ends in ``/``. exact -> ``x.com/``; apex+subdomains ->
  ``x.com/`` and ``*.x.com/``; subdomains -> ``*.x.com/`` (``*`` is one or more tokens); one-label ->
  ``^.x.com/`` (``^`` is exactly one token). https://docs.paloaltonetworks.com/advanced-url-filtering/administration/configuring-url-filtering/url-category-exceptions/create-a-custom-url-category/create-a-custom-url-category-pan-os
- Domain list: ``*`` is a whole-token wildcard that can only be prepended; ``^`` marks an exact match.
  exact ``x.com`` -> ``^x.com``; apex+subdomains -> ``^x.com`` and ``*.x.com``; subdomains -> ``*.x.com``;
  one-label -> ``*.x.com`` (widened: a domain list has no one-token wildcard). No IP addresses.

Ports: one Security rule has one Service for its whole list, so a list is port-exact only when every entry
in it has the same ports. ``--param port=N`` writes the list for one port (the entries allowed on it) to use
with Service ``tcp/N``; without it, entries whose ports differ from the list's union are each named on stderr.
Domain and URL lists have no comment syntax, so how to use them goes to stderr; IP lists carry the ports of
each address as a comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from ..errors import ConfigError
from ..model import Policy
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule, RuleSet

MAX_ENTRY = 255
"""Longest entry PAN-OS reads; longer ones are skipped by the firewall."""
MAX_ENTRIES = 50_000
"""Entries per list type on the PAN-OS 7.1 platform limit; newer limits depend on the model."""

_PORT = {"port": Param("0", "write the list for this port only (0: every entry)", int)}
_APPS = {80: "web-browsing", 443: "ssl"}


class _PanList(Exporter):
    """What the three list types share: the per-port selection and the platform limits."""

    params: ClassVar[Mapping[str, Param]] = MappingProxyType(_PORT)

    def _selected(self, policy: Policy, options: ExportOptions) -> tuple[RuleSet, list[Rule], int]:
        """The rule set, the rules on ``--param port`` (all without it), and that port (0 for none)."""
        ruleset = self.rules(policy, options)
        port = int(self.param(options, "port"))
        if not 0 <= port <= 65535:
            raise ConfigError(f"{self.name}: --param port={port} is not a TCP port (1-65535)")
        rules = [r for r in ruleset.rules if not port or port in r.ports]
        return ruleset, rules, port


class PanEdlUrlExport(_PanList):
    """The allowlist: a PAN-OS URL EDL for the URL Category of a Security rule, every entry ending in ``/``."""

    name = "pan-edl-url"
    description = (
        "Palo Alto External Dynamic List, URL type: the allowlist for a Security rule (x.com/, *.x.com/)"
    )

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """One URL pattern per line; IP literals go to ``pan-edl-ip``."""
        ruleset, rules, port = self._selected(policy, options)
        lines: list[str] = []
        notes: list[str] = []
        ips = [r.name for r in rules if r.is_ip]
        names = [r for r in rules if not r.is_ip]
        for rule in names:
            if rule.match in ("exact", "apex-and-subdomains"):
                lines.append(f"{rule.name}/")
            if rule.match in ("apex-and-subdomains", "subdomains"):
                lines.append(f"*.{rule.name}/")
            elif rule.match == "one-label":
                lines.append(f"^.{rule.name}/")
        if ips:
            notes.append(
                f"{', '.join(ips)}: PAN-OS skips IP addresses in a URL list; left out: write them with "
                "--to pan-edl-ip (an IP EDL for the rule's Destination)"
            )
        ports = [port] if port else sorted({p for r in names for p in r.ports})
        notes += _port_notes(names, port, "URL Category")
        if names:
            notes.insert(0, _url_usage(ports))
        return _finish(lines, ruleset, notes)


class PanEdlIpExport(_PanList):
    """The policy's IP literals as a PAN-OS IP EDL (Destination of a Security rule), ports as comments."""

    name = "pan-edl-ip"
    description = "Palo Alto External Dynamic List, IP type: the policy's addresses (IPv4 and IPv6)"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """``ADDRESS # ports`` per line; host names belong in ``pan-edl-url``."""
        ruleset, rules, port = self._selected(policy, options)
        ips = [r for r in rules if r.is_ip]
        lines = [f"{r.name} # tcp {','.join(map(str, [port] if port else r.ports))}" for r in ips]
        notes = _port_notes(ips, port, "Destination")
        names = [r for r in rules if not r.is_ip]
        if names:
            notes.append(f"host names left out ({len(names)}): write them with --to pan-edl-url")
        if ips:
            ports = [port] if port else sorted({p for r in ips for p in r.ports})
            notes.insert(
                0,
                "use: an External Dynamic List of type IP List as the Destination address of a Security "
                f"policy rule with Service {_services(ports)}",
            )
        return _finish(lines, ruleset, notes)


class PanEdlDomainExport(Exporter):
    """A PAN-OS domain EDL for DNS Security / Anti-Spyware DNS policies (sinkhole, block, allow), not egress."""

    name = "pan-edl-domain"
    description = "Palo Alto External Dynamic List, domain type, for DNS Security (Anti-Spyware) only"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """One domain per line."""
        ruleset = self.rules(policy, options)
        rules = ruleset.rules
        lines: list[str] = []
        notes: list[str] = [
            "use: a Domain List EDL in an Anti-Spyware profile's DNS policies (DNS Security: allow, sinkhole "
            "or block the DNS queries for these names); PAN-OS cannot use it in a Security rule, so it does "
            "not allow or restrict connections: for the egress allowlist use --to pan-edl-url"
        ]
        for rule in rules:
            if rule.is_ip:
                notes.append(f"{rule.name}: a domain list cannot hold an IP address; left out")
                continue
            if rule.match == "exact":
                lines.append(f"^{rule.name}")
            elif rule.match == "apex-and-subdomains":
                lines += [f"^{rule.name}", f"*.{rule.name}"]
            else:
                lines.append(f"*.{rule.name}")
                if rule.match == "one-label":
                    notes.append(
                        f"*.{rule.name}: one label only is not expressible in a domain list; "
                        "widened to every depth below it"
                    )
                else:
                    notes.append(
                        f"*.{rule.name}: the apex is not listed, but whether PAN-OS '*.' matches the apex "
                        "is not documented (if it does, the apex is allowed too)"
                    )
        return _finish(lines, ruleset, notes)


def _services(ports: list[int]) -> str:
    """The Service of the rule: ``tcp/443`` or ``tcp/80,443``."""
    return "tcp/" + ",".join(map(str, ports)) if ports else "(none)"


def _url_usage(ports: list[int]) -> str:
    """How the URL list is deployed, for the ports the rule must carry."""
    apps = sorted({_APPS[p] for p in ports if p in _APPS})
    if any(p not in _APPS for p in ports):
        apps = sorted(_APPS.values())
    return (
        "use: an External Dynamic List of type URL List, selected as the URL Category of a Security policy "
        f"rule (action allow) with Application {', '.join(apps)} and Service {_services(ports)}; the entries "
        "carry no ports, the rule's Service does. HTTPS is matched on the TLS server name unless decrypted"
    )


def _port_notes(rules: list[Rule], port: int, where: str) -> list[str]:
    """Each entry a rule over the whole list would allow on more ports than the policy says."""
    if port:
        return []
    union = sorted({p for r in rules for p in r.ports})
    notes = []
    for rule in rules:
        extra = [p for p in union if p not in rule.ports]
        if extra:
            shown = ("*." if rule.wildcard else "") + rule.name
            notes.append(
                f"{shown} (policy: port {', '.join(map(str, rule.ports))}): one rule with this list as "
                f"{where} and Service {_services(union)} also allows it on {', '.join(map(str, extra))}; "
                "write one list per port (--param port=N) and one rule per list"
            )
    return notes


def _finish(lines: list[str], ruleset: RuleSet, notes: list[str]) -> Rendered:
    """De-duplicate in order and enforce the platform limits."""
    unique = list(dict.fromkeys(lines))
    too_long = [line for line in unique if len(line) > MAX_ENTRY]
    unique = [line for line in unique if len(line) <= MAX_ENTRY]
    notes = list(dict.fromkeys(notes))
    notes += [
        f"{line[:60]}...: longer than {MAX_ENTRY} characters; PAN-OS would skip it" for line in too_long
    ]
    if len(unique) > MAX_ENTRIES:
        notes.append(
            f"{len(unique)} entries: above the {MAX_ENTRIES:,} entries PAN-OS 7.1 reads per list type"
        )
    return Rendered("".join(f"{line}\n" for line in unique), tuple(notes), ruleset.rejected)
