"""Findings: what goes wrong when a config runs in a default-deny or isolated network, and the fix.

Each rule is a small class in :data:`RULES`; a rule looks at :class:`~egressmap.catalog.facts.Facts` and yields
:class:`Finding` values. Rules never raise for odd configs; they just find nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from packaging.version import Version

from ..hostnames import normalize_host
from ..model import REGION_TOKEN
from .facts import ANY_IPV4, SSM_POLICY, Facts

Severity = Literal["error", "warning", "info"]
Network = Literal["isolated", "proxy"]
SSM_ENDPOINTS = (
    "com.amazonaws.{region}.ssm, com.amazonaws.{region}.ssmmessages, com.amazonaws.{region}.ec2messages"
)
FIXED_NO_PROXY = "localhost,127.0.0.1,169.254.169.254"


@dataclass(frozen=True)
class Finding:
    """One problem for a locked-down network: where it is, what goes wrong, how to fix it."""

    rule: str
    severity: Severity
    path: str
    where: str
    problem: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "where": self.where,
            "problem": self.problem,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Context:
    """What a rule may look at."""

    facts: Facts
    network: Network
    version: Version
    region: str | None


class Rule(ABC):
    """A finding rule."""

    name: ClassVar[str]

    @abstractmethod
    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield the findings for this config."""

    def finding(self, ctx: Context, severity: Severity, path: str, problem: str, fix: str) -> Finding:
        """A finding located at ``path`` in the config."""
        return Finding(self.name, severity, path, ctx.facts.where(path), problem, fix)


def _region(ctx: Context, text: str) -> str:
    return text.replace(REGION_TOKEN, ctx.region) if ctx.region else text


class ManagedDns(Rule):
    """Managed DNS needs Route 53, which has no VPC endpoint."""

    name = "managed-dns"

    def check(self, ctx: Context) -> Iterator[Finding]:
        f = ctx.facts
        if ctx.network != "isolated" or f.groups and f.groups[0].kind == "build instance":
            return
        if f.doc.kind == "pcluster-v2":
            if not f.managed_dns_off:
                yield self.finding(
                    ctx,
                    "error",
                    f.dns_path,
                    "cluster DNS uses a Route 53 private hosted zone; Route 53 has no VPC endpoint, so compute "
                    "nodes cannot register their names without internet access",
                    "set disable_cluster_dns = true (2.9.1+, with queue_settings) and provide name resolution",
                )
            return
        hostnames = f.ec2_hostnames is not None and f.ec2_hostnames.value == "true"
        if not f.managed_dns_off:
            yield self.finding(
                ctx,
                "error",
                f.dns_path,
                "managed DNS is on: ParallelCluster creates a Route 53 hosted zone and updates it as nodes "
                "scale; Route 53 has no VPC endpoint (route53.amazonaws.com), so this fails without internet",
                "set Scheduling.SlurmSettings.Dns.DisableManagedDns: true and "
                "Scheduling.SlurmSettings.Dns.UseEc2Hostnames: true",
            )
        elif not hostnames:
            yield self.finding(
                ctx,
                "warning",
                f"{f.dns_path}.UseEc2Hostnames",
                "managed DNS is off but Slurm node names are not EC2 host names, so they do not resolve",
                "also set Scheduling.SlurmSettings.Dns.UseEc2Hostnames: true",
            )


class IsolatedCli(Rule):
    """The pcluster CLI inside an isolated VPC cannot reach IAM (global) and by default uses global STS."""

    name = "isolated-cli"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.network != "isolated":
            return
        f = ctx.facts
        path = f.iam_policies[0].path if f.iam_policies else "(pcluster CLI)"
        yield self.finding(
            ctx,
            "warning",
            path,
            "run from a host without internet, the pcluster CLI's IAM validators call iam.amazonaws.com "
            "(global, no VPC endpoint) and boto3 may call the global STS endpoint",
            "create the sts interface endpoint, run `export AWS_STS_REGIONAL_ENDPOINTS=regional`, and pass "
            "`--suppress-validators type:AdditionalIamPolicyValidator` to pcluster create-cluster",
        )
        if f.doc.kind == "pcluster-v3-build-image" and ctx.version < Version("3.10"):
            yield self.finding(
                ctx,
                "error",
                "Build",
                f"pcluster build-image runs in an isolated network only from 3.10.0 (assumed version {ctx.version})",
                "use ParallelCluster 3.10.0 or later, or give the build subnet a proxy or NAT",
            )


class ProxyCoverage(Rule):
    """A proxy on some node groups but not on others: those nodes have no way out."""

    name = "proxy-missing"

    def check(self, ctx: Context) -> Iterator[Finding]:
        groups = ctx.facts.groups
        with_proxy = [g for g in groups if g.proxy]
        if not with_proxy:
            return
        for g in groups:
            if not g.proxy:
                yield self.finding(
                    ctx,
                    "error",
                    g.proxy_path,
                    f"the {g.kind} {g.name!r} has no proxy while {with_proxy[0].kind} {with_proxy[0].name!r} "
                    "uses one: its downloads and AWS API calls have no way out",
                    f"set {g.proxy_path}: {with_proxy[0].proxy}",
                )


class NoProxyGaps(Rule):
    """ParallelCluster writes a fixed ``no_proxy``: endpoint and S3 traffic goes to the proxy."""

    name = "no-proxy-gap"

    def check(self, ctx: Context) -> Iterator[Finding]:
        f = ctx.facts
        proxied = [g for g in f.groups if g.proxy]
        if not proxied:
            return
        if f.os == "alinux2023":
            yield self.finding(
                ctx,
                "warning",
                proxied[0].proxy_path,
                "Amazon Linux 2023 reads its repositories from "
                + _region(ctx, "al2023-repos-{region}-de612dc2.s3.dualstack.{region}.amazonaws.com")
                + f"; ParallelCluster's no_proxy is fixed to {FIXED_NO_PROXY}, so that traffic goes to the "
                "proxy instead of the S3 gateway endpoint",
                "allow that host on the proxy, or add .amazonaws.com (or s3.dualstack.<region>.amazonaws.com) "
                "to no_proxy in /etc/profile.d/proxy.sh and dnf.conf from an OnNodeStart custom action",
            )
        if f.doc.kind == "pcluster-v2":
            return
        if any(s.value.startswith("s3://") for s in f.urls) or "login-nodes" in f.features:
            yield self.finding(
                ctx,
                "info",
                proxied[0].proxy_path,
                f"no_proxy is fixed to {FIXED_NO_PROXY}: AWS API calls (and interface endpoints' private DNS "
                "names) go through the proxy, not the VPC endpoints",
                "allow the AWS service hosts listed under the cloud scope on the proxy, or extend no_proxy "
                "with an OnNodeStart custom action",
            )


class SshOpen(Rule):
    """SSH open to the world; Session Manager needs no inbound port."""

    name = "ssh-open"

    def check(self, ctx: Context) -> Iterator[Finding]:
        f = ctx.facts
        has_ssm = "ssm" in f.features
        for item in f.ssh:
            value = item.value.removeprefix("default:").strip()
            if value not in (ANY_IPV4, "::/0"):
                continue
            default = " (the default when the key is not set)" if item.value.startswith("default:") else ""
            already = (
                f"Session Manager is already possible ({SSM_POLICY} is attached at {f.features['ssm']}): "
                if has_ssm
                else f"attach the AWS managed policy {SSM_POLICY} to the instance role(s) and "
            )
            yield self.finding(
                ctx,
                "warning",
                item.path,
                f"SSH (port 22) is open to {value}{default}",
                f"{already}log in with AWS Systems Manager Session Manager, restrict or remove the SSH rule "
                f"(set it to a narrow CIDR), and create the interface endpoints {_region(ctx, SSM_ENDPOINTS)} "
                "in an isolated network (a proxy for the SSM Agent must be HTTP, not HTTPS)",
            )


class InternetUrls(Rule):
    """Custom actions, include files and DevSettings packages fetched from internet hosts at boot."""

    name = "internet-url"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for item in ctx.facts.urls:
            parts = urlsplit(item.value)
            if parts.scheme == "s3":
                yield self.finding(
                    ctx,
                    "info",
                    item.path,
                    f"{item.value} is read through S3: the S3 gateway endpoint only reaches buckets in the "
                    "cluster's own region",
                    f"keep bucket {parts.netloc!r} in {ctx.region or 'the cluster region'} and allow it in the "
                    "endpoint policy and the instance role (Iam.S3Access)",
                )
            elif parts.scheme in ("http", "https") and parts.hostname:
                try:
                    host = normalize_host(parts.hostname)
                except ValueError:
                    continue
                if host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                    continue
                yield self.finding(
                    ctx,
                    "warning" if ctx.network == "isolated" else "info",
                    item.path,
                    f"nodes download {item.value} from the internet host {host} at boot",
                    "allow that host (it is in the entries), or copy the file to an S3 bucket in the "
                    "cluster's region and use an s3:// URL",
                )


class NeedsInternet(Rule):
    """Schedulers and features that cannot run without internet."""

    name = "needs-internet"

    def check(self, ctx: Context) -> Iterator[Finding]:
        f = ctx.facts
        if ctx.network == "isolated" and f.scheduler == "awsbatch":
            yield self.finding(
                ctx,
                "error",
                "Scheduling.Scheduler" if f.doc.kind != "pcluster-v2" else "[cluster] scheduler",
                "only the Slurm scheduler supports a cluster in a subnet without internet access",
                "use Scheduler: slurm, or give the subnets a NAT gateway or proxy",
            )
        for ami in f.custom_amis:
            yield self.finding(
                ctx,
                "info",
                ami.path,
                f"{ami.value}: a custom AMI not built by pcluster build-image runs the install recipes at boot "
                "and needs every image-build download",
                "build the AMI with pcluster build-image (or add --feature non-bootstrapped-ami to see those "
                "destinations)",
            )
        for item in f.public_ips:
            yield self.finding(
                ctx,
                "info",
                item.path,
                "instances get public IP addresses, which a private deployment does not need; pcluster ssh and "
                "dcv-connect prefer the public IP when there is one",
                "turn public IPs off for private subnets",
            )


RULES: tuple[Rule, ...] = (
    ManagedDns(),
    IsolatedCli(),
    ProxyCoverage(),
    NoProxyGaps(),
    SshOpen(),
    InternetUrls(),
    NeedsInternet(),
)

_RANK = {"error": 0, "warning": 1, "info": 2}


def findings(ctx: Context) -> list[Finding]:
    """Every rule's findings, errors first."""
    found = [item for rule in RULES for item in rule.check(ctx)]
    return sorted(found, key=lambda f: (_RANK[f.severity], f.rule, f.path))
