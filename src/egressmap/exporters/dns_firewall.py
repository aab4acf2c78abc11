"""``dns-firewall``: a Route 53 Resolver DNS Firewall domain list, as an import file or CloudFormation.

Sources:
- Domain specification ("can optionally start with ``*``", otherwise letters, digits and hyphens, 1-255
  characters) and the import file ("a single domain per line"), ``ImportFirewallDomains``:
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_ImportFirewallDomains.html
- Domain lists: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-domain-lists.html
- Rules (ALLOW, ALERT, BLOCK with NODATA; ``FirewallDomainRedirectionAction``):
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_FirewallRule.html
- CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-route53resolver-firewalldomainlist.html
  and .../aws-resource-route53resolver-firewallrulegroup.html

Translation (formats-and-anchors.md, part B):
- exact ``x.com`` -> ``x.com``; apex+subdomains -> ``x.com`` and ``*.x.com`` (right whatever ``*.`` does with
  the apex); subdomains -> ``*.x.com`` (whether it also matches ``x.com`` is unverified: a note);
  one-label -> ``*.x.com``, widened to any depth (a note).
- DNS has no ports (one note) and IP literals are never looked up (left out, one note each).
- Names are written without a trailing dot: the API's domain specification does not mention one.

Flavors: ``text`` is the import file alone (no comments: the API takes one domain per line). ``cloudformation``
adds the rule group that makes the list an allowlist: ALLOW the list at priority 100, trusting the CNAME chain
behind an allowed name (``TRUST_REDIRECTION_DOMAIN``: CDN names need not be listed), then a catch-all ``*`` list
at priority 200 that is BLOCKed with NODATA (``--mode enforce``, the default) or only ALERTed (``--mode
audit``). The group is not associated with a VPC: do that once the alert logs are clean, because the catch-all
also stops names the policy never saw, such as the VPC's private zones (``compute.internal``).
"""

from __future__ import annotations

from typing import Any

from ..model import Policy
from .cfn import FORMAT_VERSION, template_yaml
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule

ALLOW_PRIORITY = 100
CATCH_ALL_PRIORITY = 200


def domains(rules: list[Rule]) -> tuple[list[str], list[str]]:
    """Domain list lines for ``rules`` (no duplicates, in rule order) and the approximation notes."""
    out: dict[str, None] = {}
    notes: list[str] = []
    for r in rules:
        if r.is_ip:
            notes.append(f"{r.name}: an IP address is not a DNS name; left out of the domain list")
            continue
        if r.match in ("exact", "apex-and-subdomains"):
            out[r.name] = None
        if r.match != "exact":
            out["*." + r.name] = None
        if r.match == "subdomains":
            notes.append(
                f"*.{r.name} (subdomains only): written as *.{r.name}; "
                f"whether DNS Firewall also matches {r.name} with it is unverified"
            )
        elif r.match == "one-label":
            notes.append(
                f"*.{r.name} (one label): DNS Firewall has no one-label wildcard; "
                f"widened to *.{r.name} (subdomains at any depth)"
            )
    ports = sorted({p for r in rules if not r.is_ip for p in r.ports})
    if ports:
        notes.append(
            f"DNS has no ports: names are allowed whatever the port (policy ports: {', '.join(map(str, ports))})"
        )
    return list(out), notes


class DnsFirewallExport(Exporter):
    """A DNS Firewall domain list: the import file, or CloudFormation with an allowlist rule group."""

    name = "dns-firewall"
    description = "Route 53 Resolver DNS Firewall domain list (import file or CloudFormation)"
    default_scope = "all"
    flavors = ("text", "cloudformation")
    params = {"name": Param("egressmap-allowlist", "default name of the domain list and the rule group")}

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The domain list, one name per line, or a template with the list and its rule group."""
        flavor = self.flavor(options)
        ruleset = self.rules(policy, options)
        names, notes = domains(list(ruleset.rules))
        if flavor == "text":
            text = "".join(f"{n}\n" for n in names)
        else:
            text = _cloudformation(names, str(self.param(options, "name")), options.mode)
        return Rendered(text, tuple(notes), ruleset.rejected)


def _cloudformation(names: list[str], name: str, mode: str) -> str:
    catch_all: dict[str, Any] = {
        "Priority": CATCH_ALL_PRIORITY,
        "FirewallDomainListId": {"Fn::GetAtt": ["CatchAllDomains", "Id"]},
    }
    if mode == "audit":
        catch_all["Action"] = "ALERT"
    else:
        catch_all.update(Action="BLOCK", BlockResponse="NODATA")
    template = {
        "AWSTemplateFormatVersion": FORMAT_VERSION,
        "Description": "egressmap: Route 53 Resolver DNS Firewall allowlist (domain list and rule group)",
        "Parameters": {
            "ListName": {
                "Type": "String",
                "Default": name,
                "AllowedPattern": "^[a-zA-Z0-9_ -]+$",
                "MaxLength": 54,
                "Description": "Name of the domain list and the rule group (the catch-all list adds -catch-all)",
            }
        },
        "Resources": {
            "AllowlistDomains": {
                "Type": "AWS::Route53Resolver::FirewallDomainList",
                "Properties": {"Name": {"Ref": "ListName"}, "Domains": names},
            },
            "CatchAllDomains": {
                "Type": "AWS::Route53Resolver::FirewallDomainList",
                "Properties": {"Name": {"Fn::Sub": "${ListName}-catch-all"}, "Domains": ["*"]},
            },
            "AllowlistRuleGroup": {
                "Type": "AWS::Route53Resolver::FirewallRuleGroup",
                "Properties": {
                    "Name": {"Ref": "ListName"},
                    "FirewallRules": [
                        {
                            "Priority": ALLOW_PRIORITY,
                            "FirewallDomainListId": {"Fn::GetAtt": ["AllowlistDomains", "Id"]},
                            "Action": "ALLOW",
                            "FirewallDomainRedirectionAction": "TRUST_REDIRECTION_DOMAIN",
                        },
                        catch_all,
                    ],
                },
            },
        },
        "Outputs": {
            "DomainListId": {"Value": {"Fn::GetAtt": ["AllowlistDomains", "Id"]}},
            "RuleGroupId": {
                "Description": "Associate with a VPC (AWS::Route53Resolver::FirewallRuleGroupAssociation)",
                "Value": {"Fn::GetAtt": ["AllowlistRuleGroup", "Id"]},
            },
        },
    }
    action = (
        "only ALERTs on everything else (audit)" if mode == "audit" else "BLOCKs everything else (NODATA)"
    )
    comments = (
        "egressmap dns-firewall (CloudFormation): the policy's names as a DNS Firewall domain list.",
        f"Rule group: ALLOW the list at priority {ALLOW_PRIORITY} (CNAME chains behind an allowed name are "
        f"trusted), then a catch-all * list at priority {CATCH_ALL_PRIORITY} that {action}.",
        "Not associated with a VPC: the catch-all also stops names the policy never saw (the VPC's private "
        "zones, compute.internal); run it in audit mode (--mode audit) and read the alerts first.",
    )
    return template_yaml(template, comments)
