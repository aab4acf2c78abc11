"""``suricata``: allowlist rules for a Suricata-compatible engine (AWS Network Firewall rule strings included).

The rules have the shape AWS Network Firewall generates for domain-list allowlists
(https://docs.aws.amazon.com/network-firewall/latest/developerguide/suricata-examples.html); how each match
kind, port and IP literal is written is described in :mod:`egressmap.exporters.suricata_rules`.

The rules are order dependent (pass rules, then one drop rule per protocol): load them under strict rule order.
On AWS Network Firewall that is ``StatefulRuleOptions: RuleOrder: STRICT_ORDER`` on the rule group, and a
firewall policy whose stateful default action is ``aws:drop_established`` (domain rules need an established
connection to see the TLS ClientHello or the HTTP Host header).
"""

from __future__ import annotations

from ..model import Policy
from .interface import Exporter, ExportOptions, Param, Rendered
from .suricata_rules import allowlist

DEFAULT_SID_START = 1000001
"""Local rules conventionally use sids from 1,000,000 up, clear of published rule sets."""

HEADER = (
    "# egressmap suricata: allowlist rules in the shape AWS Network Firewall generates for domain lists.",
    "# Order matters: pass rules, then one drop rule per protocol. Load them under strict rule order",
    "# (AWS: rule group RuleOrder STRICT_ORDER, firewall policy default action aws:drop_established).",
    "# Ports: 80 -> HTTP Host rules, 443 -> TLS SNI rules, any other port -> both.",
    "# TLS without SNI, HTTP without Host and other protocols to named hosts are not passed by these rules.",
    "# $HOME_NET must hold the CIDRs whose egress is inspected; $EXTERNAL_NET is everything else.",
)


class SuricataExport(Exporter):
    """Suricata ``pass`` rules for TLS SNI and HTTP Host, then ``drop`` rules, with sequential sids."""

    name = "suricata"
    description = "Suricata rules (TLS SNI and HTTP Host), as AWS Network Firewall generates for domain lists"
    default_scope = "all"
    params = {
        "sid_start": Param(str(DEFAULT_SID_START), "the first rule's sid; the others follow in order", int),
    }

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The rules file: a comment header, then one rule per line."""
        ruleset = self.rules(policy, options)
        lines = allowlist(ruleset.rules, int(self.param(options, "sid_start")))
        text = "\n".join((*HEADER, *lines.lines)) + "\n"
        return Rendered(text, lines.approximations, ruleset.rejected)
