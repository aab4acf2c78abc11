"""``egressmap plan``: from a cluster config to predicted destinations, private endpoints and findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from packaging.version import Version

from ..classify import all_regions
from ..errors import ConfigError
from ..hostnames import normalize_host
from ..model import Entry
from ..policy import merge_predictions
from ..policy_file import entry_to_dict
from . import check_target, resolve, select
from .bucket import cluster_bucket, narrow, narrowed_keys
from .configs import ConfigDoc
from .facts import Facts, v2_cluster, v3_build_image, v3_cluster
from .findings import Context, Finding, Network, findings
from .model import CatalogEntry, Phase, StackCatalog, Target
from .predict import EndpointNeed, endpoint_needs, predicted_entries

NetworkChoice = Literal["auto", "isolated", "proxy"]


@dataclass(frozen=True)
class Plan:
    """What a config needs: entries (tier predicted), private endpoints, findings, and the assumptions made."""

    origin: str
    kind: str
    stack: str
    version: Version
    region: str | None
    os: str | None
    arches: tuple[str, ...]
    features: dict[str, str]
    network: Network
    phases: tuple[Phase, ...]
    entries: tuple[Entry, ...]
    private_endpoints: tuple[EndpointNeed, ...]
    findings: tuple[Finding, ...]
    assumptions: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: entries as in the policy contract, endpoints, findings, and what was assumed."""
        return {
            "config": self.origin,
            "kind": self.kind,
            "stack": f"{self.stack}@{self.version}",
            "region": self.region,
            "os": self.os,
            "arch": list(self.arches),
            "features": dict(sorted(self.features.items())),
            "network": self.network,
            "phases": list(self.phases),
            "assumptions": list(self.assumptions),
            "entries": [entry_to_dict(e) for e in self.entries],
            "private_endpoints": [n.to_dict() for n in self.private_endpoints],
            "findings": [f.to_dict() for f in self.findings],
        }


def facts_of(doc: ConfigDoc) -> Facts:
    """Read a loaded config into facts."""
    if doc.kind == "pcluster-v3-cluster":
        return v3_cluster(doc)
    if doc.kind == "pcluster-v3-build-image":
        return v3_build_image(doc)
    return v2_facts(doc)


def v2_facts(doc: ConfigDoc) -> Facts:
    """Pick the ``[cluster ...]`` section in use (``[global] cluster_template``) and its ``[vpc ...]``."""
    sections = [str(s) for s in doc.data]
    template = doc.get(_v2("global", "cluster_template")) or "default"
    cluster = f"cluster {template}"
    if cluster not in sections:
        clusters = [s for s in sections if s.startswith("cluster ")]
        if not clusters:
            raise ConfigError(f"{doc.origin}: no [cluster ...] section")
        cluster = clusters[0]
    vpc_name = doc.get(_v2(cluster, "vpc_settings"))
    vpc = f"vpc {vpc_name}" if vpc_name and f"vpc {vpc_name}" in sections else None
    return v2_cluster(doc, cluster, vpc, "aws" if "aws" in sections else None)


def _v2(section: str, key: str) -> str:
    return f"{section}.{key}"


def plan(
    doc: ConfigDoc,
    stack_spec: str | None = None,
    *,
    network: NetworkChoice = "auto",
    region: str | None = None,
    os_name: str | None = None,
    features: Sequence[str] = (),
) -> Plan:
    """Plan one config; ``stack_spec`` (``parallelcluster@3.14.0``) picks the version (default: the newest)."""
    facts = facts_of(doc)
    cat, version = resolve(stack_spec or f"parallelcluster@{facts.default_version}")
    if cat.stack != "parallelcluster":
        raise ConfigError(f"{doc.origin}: a ParallelCluster config cannot be planned as {cat.stack}")
    assumptions = []
    if stack_spec is None:
        assumptions.append(
            f"ParallelCluster {version} (the newest the catalog knows; pass --stack to change)"
        )
    region = region or facts.region
    partitions = all_regions()
    if region is not None and region not in partitions:
        raise ConfigError(f"{doc.origin}: region {region!r} is not one botocore knows")
    if region is None:
        assumptions.append("no Region in the config: {region} is left in host names (pass --region)")
    os_name = os_name or facts.os
    if os_name is None:
        assumptions.append("OS unknown (build-image parent AMI): entries for every OS are listed (pass --os)")
    wanted = dict(facts.features)
    for name in features:
        wanted.setdefault(name, "--feature")
    check_target(cat, os_name, wanted)
    chosen: Network = ("proxy" if facts.proxied else "isolated") if network == "auto" else network
    if network == "auto":
        assumptions.append(
            "network: "
            + ("proxy (a proxy is configured)" if chosen == "proxy" else "isolated (no proxy configured)")
        )
    phases = facts.phases
    if "non-bootstrapped-ami" in wanted and "image-build" not in phases:
        phases = (*phases, "image-build")
    target = Target(version, os_name, facts.arches, frozenset(wanted), partitions.get(region or "", "aws"))
    selected = select(cat, target, phases)
    if facts.managed_dns_off:
        # managed DNS off: nothing talks to Route 53 any more
        selected = [
            e for e in selected if not (e.private_endpoint and e.private_endpoint.service == "route53")
        ]
    bucket = cluster_bucket(doc, region)
    why = _why(selected, wanted)
    if bucket is not None and narrowed_keys(selected):
        if bucket.name is None:
            assumptions.append(
                f"cluster bucket name unknown ({bucket.why}): its host names stay one-label wildcards; "
                "set CustomS3Bucket, or replace them with parallelcluster-<hash>-v1-do-not-delete's own names"
            )
        else:
            assumptions.append(f"cluster bucket: {bucket.why}")
            why.update(dict.fromkeys(narrowed_keys(selected), bucket.why))
    selected = narrow(selected, bucket)
    label = f"{cat.stack} {version}"
    entries = predicted_entries(selected, label, region, why)
    entries = merge_predictions(entries, list(_url_entries(facts, region)))
    ctx = Context(facts, chosen, version, region)
    return Plan(
        origin=doc.origin,
        kind=doc.kind,
        stack=cat.stack,
        version=version,
        region=region,
        os=os_name,
        arches=tuple(sorted(facts.arches)),
        features=wanted,
        network=chosen,
        phases=tuple(phases),
        entries=tuple(sorted(entries, key=lambda e: (e.scope, e.pattern))),
        private_endpoints=tuple(endpoint_needs(selected, region)),
        findings=tuple(findings(ctx)),
        assumptions=tuple(assumptions),
    )


def _why(selected: Iterable[CatalogEntry], features: dict[str, str]) -> dict[str, str]:
    """Words naming the config settings that turned on each feature-conditioned entry."""
    out = {}
    for entry in selected:
        named = [f"{f} from {features[f]}" for f in sorted(entry.when.features) if f in features]
        if named:
            out[entry.key] = "; ".join(named)
    return out


def _url_entries(facts: Facts, region: str | None) -> Iterable[Entry]:
    """Entries for hosts named by URLs in the config (custom actions, include files, DevSettings)."""
    from ..classify import classify
    from ..model import PREDICTED

    for item in facts.urls:
        parts = urlsplit(item.value)
        host: str | None
        if parts.scheme == "s3":
            bucket = parts.netloc.lower()
            host = f"{bucket}.s3.{region}.amazonaws.com" if region else None
        elif parts.scheme in ("http", "https"):
            host = parts.hostname
        else:
            continue
        if not host:
            continue
        try:
            host = normalize_host(host)
        except ValueError:
            continue
        port = parts.port if parts.scheme != "s3" and parts.port else (80 if parts.scheme == "http" else 443)
        yield Entry(
            pattern=host,
            hosts=(host,),
            ports=(port,),
            classification=classify(host),
            tier="predicted",
            count=0,
            denied=0,
            reasons=(f"{PREDICTED}{item.path} fetches {item.value} ({facts.doc.where(item.path)})",),
            sources=(facts.doc.where(item.path),),
        )


def show_target(
    cat: StackCatalog,
    version: Version,
    os_name: str | None,
    arch: str | None,
    features: Sequence[str],
    region: str | None,
) -> Target:
    """The target of ``catalog show``: ``--feature all`` turns on every feature."""
    check_target(cat, os_name, features)
    wanted = None if "all" in features else frozenset(features)
    partition = all_regions().get(region, "aws") if region else ("aws" if cat.provider == "aws" else None)
    return Target(version, os_name, frozenset({arch}) if arch else None, wanted, partition)


@dataclass(frozen=True)
class Prediction:
    """What ``build`` and ``scan`` add from ``--stack``/``--os``/``--feature`` and cluster configs."""

    entries: tuple[Entry, ...]
    plans: tuple[Plan, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every config's findings."""
        return tuple(f for p in self.plans for f in p.findings)


def predict(
    stack_spec: str | None,
    *,
    os_name: str | None = None,
    features: Sequence[str] = (),
    region: str | None = None,
    docs: Sequence[ConfigDoc] = (),
) -> Prediction:
    """Predicted entries for a stack (every phase) and for each cluster config, merged by pattern."""
    entries: list[Entry] = []
    if stack_spec:
        cat, version = resolve(stack_spec)
        target = show_target(cat, version, os_name, None, features, region)
        entries = predicted_entries(select(cat, target), f"{cat.stack} {version}", region)
    plans = tuple(plan(d, stack_spec, region=region, os_name=os_name, features=features) for d in docs)
    for p in plans:
        entries = merge_predictions(entries, p.entries)
    return Prediction(tuple(entries), plans)
