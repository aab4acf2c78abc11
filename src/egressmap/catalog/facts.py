"""What a ParallelCluster config says that matters to the network: region, OS, features, proxies, URLs, SSH, IAM.

One function per config kind reads a :class:`~egressmap.catalog.configs.ConfigDoc` into :class:`Facts`; the
planner and the findings work on facts only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .configs import ConfigDoc
from .model import Phase

GroupKind = Literal["head node", "queue", "login node pool", "cluster", "build instance"]
ANY_IPV4 = "0.0.0.0/0"
SSM_POLICY = "AmazonSSMManagedInstanceCore"
_GPU = re.compile(r"^(p\d|g\d)[a-z]*\.", re.IGNORECASE)
_GRAVITON = re.compile(r"^([a-z]+\d+g[a-z]*|a1|hpc7g|g5g)\.", re.IGNORECASE)


@dataclass(frozen=True)
class NodeGroup:
    """Instances that share network settings: the head node, a queue, a login node pool (v2: the cluster)."""

    kind: GroupKind
    name: str
    path: str
    proxy: str | None
    proxy_path: str


@dataclass(frozen=True)
class Located:
    """A value and the config path it came from."""

    value: str
    path: str


@dataclass(frozen=True)
class Facts:
    """The network-relevant reading of one config."""

    doc: ConfigDoc
    default_version: str
    phases: tuple[Phase, ...]
    region: str | None = None
    os: str | None = None
    arches: frozenset[str] = frozenset({"x86_64"})
    features: dict[str, str] = field(default_factory=dict)
    """feature -> the config path (or words) that turns it on."""
    groups: tuple[NodeGroup, ...] = ()
    urls: tuple[Located, ...] = ()
    ssh: tuple[Located, ...] = ()
    """Allowed SSH sources per exposed group (the default is open to the world)."""
    iam_policies: tuple[Located, ...] = ()
    scheduler: str | None = None
    dns_disabled: Located | None = None
    ec2_hostnames: Located | None = None
    dns_path: str = "Scheduling.SlurmSettings.Dns"
    custom_amis: tuple[Located, ...] = ()
    public_ips: tuple[Located, ...] = ()

    @property
    def managed_dns_off(self) -> bool:
        """True when the config turns managed DNS (Route 53) off."""
        return self.dns_disabled is not None and self.dns_disabled.value == "true"

    @property
    def proxied(self) -> bool:
        """True when any node group goes through a proxy."""
        return any(g.proxy for g in self.groups)

    def where(self, path: str) -> str:
        """``file:line`` of a config path (v2 paths are shown as ``[section] key``)."""
        if path.startswith("[") and "] " in path:
            section, _, key = path[1:].partition("] ")
            path = f"{section}.{key}"
        return str(self.doc.where(path))


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _arches(types: list[str]) -> frozenset[str]:
    found = {"arm64" if _GRAVITON.match(t) else "x86_64" for t in types if t}
    return frozenset(found or {"x86_64"})


def _list(doc: ConfigDoc, path: str) -> list[Any]:
    value = doc.get(path)
    return value if isinstance(value, list) else []


def _scripts(doc: ConfigDoc, base: str) -> Iterator[Located]:
    """Custom action script URLs under ``base`` (``HeadNode``, ``Scheduling.SlurmQueues[0]``...)."""
    for event in ("OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"):
        path = f"{base}.CustomActions.{event}"
        script = doc.get(f"{path}.Script")
        if isinstance(script, str):
            yield Located(script, f"{path}.Script")
        for i, _ in enumerate(_list(doc, f"{path}.Sequence")):
            step = doc.get(f"{path}.Sequence[{i}].Script")
            if isinstance(step, str):
                yield Located(step, f"{path}.Sequence[{i}].Script")


DEV_PACKAGES = (
    "DevSettings.Cookbook.ChefCookbook",
    "DevSettings.NodePackage",
    "DevSettings.AwsBatchCliPackage",
)
"""DevSettings keys whose URL (S3 or HTTPS) nodes download at boot."""


def _strings(doc: ConfigDoc, paths: tuple[str, ...]) -> Iterator[Located]:
    for path in paths:
        value = doc.get(path)
        if isinstance(value, str):
            yield Located(value, path)


def _group(doc: ConfigDoc, kind: GroupKind, name: str, base: str) -> NodeGroup:
    """A v3 node group and its proxy setting (``<base>.Networking.Proxy.HttpProxyAddress``)."""
    path = f"{base}.Networking.Proxy.HttpProxyAddress"
    return NodeGroup(kind, name, base, doc.get(path), path)


def _policies(doc: ConfigDoc, base: str) -> Iterator[Located]:
    for i, _ in enumerate(_list(doc, f"{base}.Iam.AdditionalIamPolicies")):
        arn = doc.get(f"{base}.Iam.AdditionalIamPolicies[{i}].Policy")
        if isinstance(arn, str):
            yield Located(arn, f"{base}.Iam.AdditionalIamPolicies[{i}].Policy")


def v3_cluster(doc: ConfigDoc) -> Facts:
    """Facts of a ParallelCluster 3 cluster config."""
    get = doc.get
    features: dict[str, str] = {}
    groups = [_group(doc, "head node", "HeadNode", "HeadNode")]
    types = [get("HeadNode.InstanceType") or ""]
    bases = ["HeadNode"]
    urls: list[Located] = []
    ssh = [_ssh(doc, "HeadNode")]
    public = []
    if get("HeadNode.Networking.ElasticIp") not in (None, False, "false"):
        public.append(Located(str(get("HeadNode.Networking.ElasticIp")), "HeadNode.Networking.ElasticIp"))
    for i, queue in enumerate(_list(doc, "Scheduling.SlurmQueues")):
        base = f"Scheduling.SlurmQueues[{i}]"
        bases.append(base)
        name = queue.get("Name", str(i)) if isinstance(queue, dict) else str(i)
        groups.append(_group(doc, "queue", str(name), base))
        if _true(get(f"{base}.Networking.AssignPublicIp")):
            public.append(Located("true", f"{base}.Networking.AssignPublicIp"))
        for j, _ in enumerate(_list(doc, f"{base}.ComputeResources")):
            res = f"{base}.ComputeResources[{j}]"
            types.append(get(f"{res}.InstanceType") or "")
            types.extend(
                get(f"{res}.Instances[{k}].InstanceType") or ""
                for k, _ in enumerate(_list(doc, f"{res}.Instances"))
            )
            if _true(get(f"{res}.Efa.Enabled")):
                features.setdefault("efa", f"{res}.Efa.Enabled")
            if get(f"{res}.CapacityReservationTarget.CapacityReservationResourceGroupArn"):
                features.setdefault("capacity-reservation-groups", f"{res}.CapacityReservationTarget")
        if get(f"{base}.CapacityReservationTarget.CapacityReservationResourceGroupArn"):
            features.setdefault("capacity-reservation-groups", f"{base}.CapacityReservationTarget")
    pools = _list(doc, "LoginNodes.Pools")
    for i, pool in enumerate(pools):
        base = f"LoginNodes.Pools[{i}]"
        bases.append(base)
        name = pool.get("Name", str(i)) if isinstance(pool, dict) else str(i)
        groups.append(_group(doc, "login node pool", str(name), base))
        types.append(get(f"{base}.InstanceType") or "")
        ssh.append(_ssh(doc, base))
        if _true(get(f"{base}.Dcv.Enabled")):
            features.setdefault("dcv", f"{base}.Dcv.Enabled")
    if pools:
        features["login-nodes"] = "LoginNodes.Pools"
    for base in bases:
        urls.extend(_scripts(doc, base))
    urls.extend(_strings(doc, ("Scheduling.SlurmSettings.CustomSlurmSettingsIncludeFile", *DEV_PACKAGES)))
    policies = [p for base in bases for p in _policies(doc, base)]
    if _true(get("HeadNode.Dcv.Enabled")):
        features["dcv"] = "HeadNode.Dcv.Enabled"
    if any(_GPU.match(t) for t in types if t):
        features["nvidia"] = (
            "GPU instance type (" + ", ".join(sorted({t for t in types if _GPU.match(t)})) + ")"
        )
    for i, storage in enumerate(_list(doc, "SharedStorage")):
        kind = storage.get("StorageType") if isinstance(storage, dict) else None
        flag = {
            "FsxLustre": "lustre",
            "Efs": "efs",
            "FsxOntap": "fsx",
            "FsxOpenZfs": "fsx",
            "FileCache": "fsx",
        }
        if kind in flag:
            features.setdefault(flag[kind], f"SharedStorage[{i}].StorageType")
    if get("DirectoryService") is not None:
        features["directory-service"] = "DirectoryService"
    if get("Scheduling.SlurmSettings.Database") is not None:
        features["slurm-accounting"] = "Scheduling.SlurmSettings.Database"
    if get("Scheduling.SlurmSettings.ExternalSlurmdbd") is not None:
        features["external-slurmdbd"] = "Scheduling.SlurmSettings.ExternalSlurmdbd"
    if get("Scheduling.SlurmSettings.MungeKeySecretArn"):
        features["munge-key-secret"] = "Scheduling.SlurmSettings.MungeKeySecretArn"
    for name, path in (
        ("cloudwatch-logs", "Monitoring.Logs.CloudWatch.Enabled"),
        ("cloudwatch-dashboards", "Monitoring.Dashboards.CloudWatch.Enabled"),
        ("alarms", "Monitoring.Alarms.Enabled"),
    ):
        value = get(path)
        if value is None or _true(value):
            features[name] = path if value is not None else f"{path} (default true)"
    if any(SSM_POLICY in p.value for p in policies):
        features["ssm"] = next(p.path for p in policies if SSM_POLICY in p.value)
    scheduler = get("Scheduling.Scheduler")
    if scheduler == "awsbatch":
        features["awsbatch"] = "Scheduling.Scheduler"
    ami_paths = ["Image.CustomAmi", *(f"{b}.Image.CustomAmi" for b in bases)]
    amis = [Located(str(get(p)), p) for p in ami_paths if get(p)]
    dns = "Scheduling.SlurmSettings.Dns"
    return Facts(
        doc=doc,
        default_version="3.14.0",
        phases=("cli-install", "node-bootstrap", "cluster-runtime", "access"),
        region=get("Region"),
        os=get("Image.Os"),
        arches=_arches(types),
        features=features,
        groups=tuple(groups),
        urls=tuple(urls),
        ssh=tuple(ssh),
        iam_policies=tuple(policies),
        scheduler=scheduler,
        dns_disabled=_located(doc, f"{dns}.DisableManagedDns"),
        ec2_hostnames=_located(doc, f"{dns}.UseEc2Hostnames"),
        dns_path=dns,
        custom_amis=tuple(amis),
        public_ips=tuple(public),
    )


def _ssh(doc: ConfigDoc, base: str) -> Located:
    """Where SSH is allowed from; ``default:`` marks the default (open to the world) when the key is absent."""
    value = doc.get(f"{base}.Ssh.AllowedIps")
    return Located(str(value) if value else f"default:{ANY_IPV4}", f"{base}.Ssh.AllowedIps")


def _located(doc: ConfigDoc, path: str) -> Located | None:
    value = doc.get(path)
    return (
        None
        if value is None
        else Located(str(value).lower() if isinstance(value, bool) else str(value), path)
    )


def v3_build_image(doc: ConfigDoc) -> Facts:
    """Facts of a ParallelCluster 3 build-image config (the official AMI build installs DCV, EFA, Intel MPI)."""
    get = doc.get
    itype = get("Build.InstanceType") or ""
    features = {
        "dcv": "pcluster build-image (installed in every ParallelCluster AMI)",
        "efa": "pcluster build-image (installed in every ParallelCluster AMI)",
        "intel-mpi": "pcluster build-image (installed in every ParallelCluster AMI)",
    }
    nvidia = get("Build.Installation.NvidiaSoftware.Enabled")
    if _true(nvidia) or (nvidia is None and _GPU.match(itype)):
        features["nvidia"] = (
            "Build.Installation.NvidiaSoftware.Enabled" if nvidia is not None else "Build.InstanceType"
        )
    lustre = get("Build.Installation.LustreClient.Enabled")
    if lustre is None or _true(lustre):
        features["lustre"] = "Build.Installation.LustreClient.Enabled" + (
            " (default true)" if lustre is None else ""
        )
    if _true(get("Build.UpdateOsPackages.Enabled")):
        features["update-os-packages"] = "Build.UpdateOsPackages.Enabled"
    urls = []
    for i, comp in enumerate(_list(doc, "Build.Components")):
        if (
            isinstance(comp, dict)
            and str(comp.get("Type", "")).lower() == "script"
            and isinstance(comp.get("Value"), str)
        ):
            urls.append(Located(comp["Value"], f"Build.Components[{i}].Value"))
    urls.extend(_strings(doc, (*DEV_PACKAGES, "DevSettings.CincInstallerUrl")))
    policies = list(_policies(doc, "Build"))
    return Facts(
        doc=doc,
        default_version="3.14.0",
        phases=("cli-install", "image-build"),
        region=get("Region"),
        os=None,
        arches=_arches([itype]),
        features=features,
        groups=(NodeGroup("build instance", "build", "Build", None, "Build"),),
        urls=tuple(urls),
        iam_policies=tuple(policies),
    )


def v2_cluster(doc: ConfigDoc, section: str, vpc: str | None, aws: str | None) -> Facts:
    """Facts of a ParallelCluster 2 INI config: ``section`` is the ``[cluster ...]`` title in use."""

    def get(key: str, sect: str | None = section) -> Any:
        return doc.get(f"{sect}.{key}") if sect else None

    def path(key: str, sect: str | None = section) -> str:
        return f"[{sect}] {key}"

    features: dict[str, str] = {}
    if get("dcv_settings"):
        features["dcv"] = path("dcv_settings")
    if get("fsx_settings"):
        features["lustre"] = path("fsx_settings")
    if get("efs_settings"):
        features["efs"] = path("efs_settings")
    if get("enable_efa"):
        features["efa"] = path("enable_efa")
    if get("cw_log_settings") is None or get("cw_log_settings"):
        features["cloudwatch-logs"] = path("cw_log_settings") + (
            "" if get("cw_log_settings") else " (default on)"
        )
    policies = [
        Located(arn.strip(), path("additional_iam_policies"))
        for arn in str(get("additional_iam_policies") or "").split(",")
        if arn.strip()
    ]
    if any(SSM_POLICY in p.value for p in policies):
        features["ssm"] = path("additional_iam_policies")
    if get("scheduler") == "awsbatch":
        features["awsbatch"] = path("scheduler")
    urls = [Located(str(get(k)), path(k)) for k in ("pre_install", "post_install", "template_url") if get(k)]
    types = [str(get("master_instance_type") or ""), str(get("compute_instance_type") or "")]
    proxy = get("proxy_server")
    ssh_from = get("ssh_from", vpc) or f"default:{ANY_IPV4}"
    public = (
        [Located(str(get("use_public_ips", vpc)), path("use_public_ips", vpc))]
        if vpc and str(get("use_public_ips", vpc) or "true").lower() == "true"
        else []
    )
    return Facts(
        doc=doc,
        default_version="2.11.9",
        phases=("cli-install", "node-bootstrap", "cluster-runtime", "access"),
        region=get("aws_region_name", aws) if aws else None,
        os=get("base_os"),
        arches=_arches(types),
        features=features,
        groups=(
            NodeGroup("cluster", section.split(" ", 1)[-1], f"[{section}]", proxy, path("proxy_server")),
        ),
        urls=tuple(urls),
        ssh=(Located(ssh_from, path("ssh_from", vpc) if vpc else "[vpc] ssh_from"),),
        iam_policies=tuple(policies),
        scheduler=get("scheduler"),
        dns_disabled=Located(str(get("disable_cluster_dns")).lower(), path("disable_cluster_dns"))
        if get("disable_cluster_dns") is not None
        else None,
        ec2_hostnames=None,
        dns_path=path("disable_cluster_dns"),
        custom_amis=(Located(str(get("custom_ami")), path("custom_ami")),) if get("custom_ami") else (),
        public_ips=tuple(public),
    )
