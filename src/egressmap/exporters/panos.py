"""Palo Alto PAN-OS External Dynamic Lists: a domain list and a URL list, one entry per line.

Token rules from the PAN-OS EDL formatting guidelines (domain list and URL list pages) and the URL category
exception guidelines; summarised in ``docs/reference/formats-and-anchors.md`` A3 and B2:

- Domain list: ``*`` is a whole-token wildcard that can only be prepended; ``^`` marks an exact match.
  exact ``x.com`` -> ``^x.com``; apex+subdomains -> ``^x.com`` and ``*.x.com``; subdomains -> ``*.x.com``;
  one-label -> ``*.x.com`` (widened: a domain list has no one-token wildcard). No IP addresses.
- URL list: entries that do not end in ``/`` or ``*`` get an implicit trailing ``/``, and without it
  ``x.com`` also matches ``x.com.au``, so every entry ends in ``/``. exact -> ``x.com/``; apex+subdomains ->
  ``x.com/`` and ``*.x.com/``; subdomains -> ``*.x.com/`` (``*`` is one or more tokens); one-label ->
  ``^.x.com/`` (``^`` is exactly one token); IP -> ``10.0.0.5/``.

Neither list carries ports: the security rule that uses the list decides the service/ports. EDL files have
no comment syntax for domain and URL lists, so the output holds entries only.
"""

from __future__ import annotations

from ..model import Policy
from .interface import Exporter, ExportOptions, Rendered
from .rules import RuleSet

MAX_ENTRY = 255
"""Longest entry PAN-OS reads; longer ones are skipped by the firewall."""
MAX_ENTRIES = 50_000
"""Entries per list type on the PAN-OS 7.1 platform limit; newer limits depend on the model."""

_PORTS_NOTE = (
    "EDL entries carry no ports; restrict ports ({ports}) with the service of the security rule that "
    "uses the list"
)


class PanEdlDomainExport(Exporter):
    """A PAN-OS domain EDL (for DNS security / anti-spyware sinkhole policies and domain matching)."""

    name = "pan-edl-domain"
    description = "Palo Alto External Dynamic List, domain type (^exact, *.wildcard)"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """One domain per line."""
        ruleset = self.rules(policy, options)
        lines: list[str] = []
        notes: list[str] = []
        for rule in ruleset.rules:
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


class PanEdlUrlExport(Exporter):
    """A PAN-OS URL EDL (for URL filtering profiles and security rules), every entry ending in ``/``."""

    name = "pan-edl-url"
    description = "Palo Alto External Dynamic List, URL type (x.com/, *.x.com/, ^.x.com/)"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """One URL pattern per line."""
        ruleset = self.rules(policy, options)
        lines: list[str] = []
        for rule in ruleset.rules:
            if rule.match in ("exact", "apex-and-subdomains"):
                lines.append(f"{rule.name}/")
            if rule.match in ("apex-and-subdomains", "subdomains"):
                lines.append(f"*.{rule.name}/")
            elif rule.match == "one-label":
                lines.append(f"^.{rule.name}/")
        return _finish(lines, ruleset, [])


def _finish(lines: list[str], ruleset: RuleSet, notes: list[str]) -> Rendered:
    """De-duplicate in order, enforce the platform limits, add the ports note."""
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
    ports = ruleset.ports()
    if ports and ports != [443] and ports != [80, 443]:
        notes.append(_PORTS_NOTE.format(ports=", ".join(str(p) for p in ports)))
    return Rendered("".join(f"{line}\n" for line in unique), tuple(notes), ruleset.rejected)
