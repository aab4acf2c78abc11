"""An IPv6 literal in each target's own syntax (issue 14, finding 2), for the targets not tested elsewhere."""

from __future__ import annotations

import csv
import io
import json

from egressmap.exporters import EXPORTERS, ExportOptions
from egressmap.model import Classification, Entry, Policy

V6 = Entry(
    "2001:db8::10",
    ("2001:db8::10",),
    (443, 9443),
    Classification(category="internal"),
    "observed",
    1,
    0,
    ("observed: t",),
    (),
)
POLICY = Policy((V6,))


def _render(name: str, flavor: str | None = None) -> tuple[str, tuple[str, ...]]:
    r = EXPORTERS[name]().render(
        POLICY, ExportOptions(scope="all", flavor=flavor, proxy="http://10.0.0.9:3128")
    )
    return r.text, r.approximations


def test_suricata_writes_the_address_bare_in_the_rule_header() -> None:
    """Suricata reads IPv6 in its address fields: one ``pass tcp`` rule to the address and its ports."""
    text, _ = _render("suricata")
    rules = [line for line in text.splitlines() if "2001:db8::10" in line and not line.startswith("#")]
    assert len(rules) == 1 and rules[0].startswith("pass tcp $HOME_NET any -> 2001:db8::10 [443,9443] ")


def test_dns_firewall_leaves_the_address_out_with_a_note() -> None:
    """A DNS firewall cannot match an address: not in the list, one note naming it."""
    for flavor in ("text", "cloudformation"):
        text, notes = _render("dns-firewall", flavor)
        assert "2001:db8::10" not in text
        assert any(n.startswith("2001:db8::10: an IP address") for n in notes)


def test_proxy_config_bypasses_the_address_bare_and_in_brackets() -> None:
    """``no_proxy`` gets both forms: curl, requests and Go compare the bare one, urllib and botocore ``[addr]``."""
    text, _ = _render("proxy-config")
    line = next(x for x in text.splitlines() if x.startswith("NO_PROXY_LIST=") or "no_proxy=" in x.lower())
    assert ",2001:db8::10," in line + "," and "[2001:db8::10]" in line


def test_policy_formats_keep_the_address_without_brackets() -> None:
    """json and csv carry the address in its column as the policy spells it."""
    data = json.loads(_render("json")[0])
    assert data["entries"][0]["pattern"] == "2001:db8::10"
    rows = list(csv.DictReader(io.StringIO(_render("csv")[0])))
    assert {r[next(iter(r))] for r in rows} == {"2001:db8::10"}
