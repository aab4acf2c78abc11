"""ParallelCluster 3 configs: the known keys of the cluster and build-image files, and the checks.

The trees are the union of ParallelCluster 3.0 to 3.14 (marshmallow schemas ``cluster_schema.py``,
``common_schema.py`` and ``imagebuilder_schema.py`` of aws/aws-parallelcluster at every 3.x tag up to 3.11.1 and
the 3.13 development branch, plus the current user guide for ``Build.Installation`` and the later
``LaunchTemplateOverrides``). A tree node is a mapping of key -> subtree, :class:`ListOf` a subtree,
:data:`SCALAR` (a value or a list of values) or :data:`ANY` (free-form: anything goes below it). Keys whose
content ParallelCluster itself leaves open (``CustomSlurmSettings``, ``AdditionalSssdConfigs``, the scheduler
plugin sections) and ``DevSettings`` (internal, changes between releases) are :data:`ANY`.

>>> sorted(CLUSTER["HeadNode"]["Networking"]["Proxy"])
['HttpProxyAddress']
>>> suggest("Proxxy", ["Proxy", "SubnetId"])
'Proxy'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, TypeAlias

from ...errors import ConfigError
from .located import Located, load_yaml

V3Kind = Literal["pcluster-v3-cluster", "pcluster-v3-build-image"]


class Leaf(Enum):
    """The ends of a known-key tree."""

    SCALAR = "a value or a list of values"
    ANY = "anything"


SCALAR = Leaf.SCALAR
ANY = Leaf.ANY


@dataclass(frozen=True)
class ListOf:
    """A list whose items all follow ``item``."""

    item: Spec


Spec: TypeAlias = "Mapping[str, Spec] | ListOf | Leaf"


def _v(names: str) -> dict[str, Spec]:
    """Keys that hold plain values."""
    return dict.fromkeys(names.split(), SCALAR)


# ---- pieces shared by several node groups
_PROXY = _v("HttpProxyAddress")
_SCRIPT = _v("Script Args")
_ACTION: dict[str, Spec] = {**_SCRIPT, "Sequence": ListOf(_SCRIPT)}  # one script, or a Sequence (3.6+)
_NODE_ACTIONS: dict[str, Spec] = dict.fromkeys(("OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"), _ACTION)
_QUEUE_ACTIONS: dict[str, Spec] = dict.fromkeys(("OnNodeStart", "OnNodeConfigured"), _ACTION)
_POLICIES = ListOf(_v("Policy"))
_S3_ACCESS = ListOf(_v("BucketName KeyName EnableWriteAccess"))
_NODE_IAM: dict[str, Spec] = {
    **_v("InstanceRole InstanceProfile"),
    "S3Access": _S3_ACCESS,
    "AdditionalIamPolicies": _POLICIES,
}
_TAGS = ListOf(_v("Key Value"))
_AMI = _v("CustomAmi")
_DCV = _v("Enabled Port AllowedIps")
_SSH = _v("KeyName AllowedIps")
_PLACEMENT = _v("Enabled Id Name")
_EPHEMERAL = _v("MountDir")
_CAPACITY = _v("CapacityReservationId CapacityReservationResourceGroupArn")
_HEALTH: dict[str, Spec] = {"Gpu": _v("Enabled")}
_LAMBDA_VPC: dict[str, Spec] = {"LambdaFunctionsVpcConfig": _v("SecurityGroupIds SubnetIds")}
_SECURITY_GROUPS = "SecurityGroups AdditionalSecurityGroups"
_QUEUE_NETWORKING: dict[str, Spec] = {
    **_v(f"SubnetIds AssignPublicIp {_SECURITY_GROUPS}"),
    "PlacementGroup": _PLACEMENT,
    "Proxy": _PROXY,
}
_LOCAL_STORAGE: dict[str, Spec] = {
    "RootVolume": _v("Size Encrypted VolumeType Iops Throughput"),
    "EphemeralVolume": _EPHEMERAL,
}

_HEAD_NODE: dict[str, Spec] = {
    **_v("InstanceType DisableSimultaneousMultithreading SharedStorageType"),
    "Networking": {**_v(f"SubnetId ElasticIp {_SECURITY_GROUPS}"), "Proxy": _PROXY},
    "Ssh": _SSH,
    "LocalStorage": {
        "RootVolume": _v("Size Encrypted VolumeType Iops Throughput DeleteOnTermination KmsKeyId"),
        "EphemeralVolume": _EPHEMERAL,
    },
    "Dcv": _DCV,
    "CustomActions": _NODE_ACTIONS,
    "Iam": _NODE_IAM,
    "Imds": _v("Secured"),
    "Image": _AMI,
}

_COMPUTE_RESOURCE: dict[str, Spec] = {
    **_v(
        "Name InstanceType MinCount MaxCount SpotPrice DisableSimultaneousMultithreading SchedulableMemory "
        "StaticNodePriority DynamicNodePriority"
    ),
    "Instances": ListOf(_v("InstanceType")),
    "InstanceTypeList": ListOf(_v("InstanceType")),  # 3.3.0b1 name of Instances
    "Efa": _v("Enabled GdrSupport"),
    "CapacityReservationTarget": _CAPACITY,
    "Networking": {"PlacementGroup": _PLACEMENT},
    "HealthChecks": _HEALTH,
    "CustomSlurmSettings": ANY,
    "Tags": _TAGS,
    "LaunchTemplateOverrides": ANY,  # after 3.14 (LaunchTemplateId, Version); shape not confirmed here
}

_SLURM_QUEUE: dict[str, Spec] = {
    **_v("Name CapacityType AllocationStrategy JobExclusiveAllocation"),
    "ComputeSettings": {"LocalStorage": _LOCAL_STORAGE},
    "CapacityReservationTarget": _CAPACITY,
    "CustomSlurmSettings": ANY,
    "Tags": _TAGS,
    "HealthChecks": _HEALTH,
    "Networking": _QUEUE_NETWORKING,
    "ComputeResources": ListOf(_COMPUTE_RESOURCE),
    "CustomActions": _QUEUE_ACTIONS,
    "Iam": _NODE_IAM,
    "Image": _AMI,
}

_BATCH_QUEUE: dict[str, Spec] = {
    **_v("Name CapacityType"),
    "Networking": _QUEUE_NETWORKING,
    "ComputeResources": ListOf(_v("Name InstanceTypes MinvCpus DesiredvCpus MaxvCpus SpotBidPercentage")),
}

_SCHEDULING: dict[str, Spec] = {
    **_v("Scheduler ScalingStrategy"),
    "SlurmSettings": {
        **_v(
            "ScaledownIdletime QueueUpdateStrategy EnableMemoryBasedScheduling MungeKeySecretArn "
            "CustomSlurmSettingsIncludeFile"
        ),
        "CustomSlurmSettings": ANY,
        "Dns": _v("DisableManagedDns HostedZoneId UseEc2Hostnames"),
        "Database": _v("Uri UserName PasswordSecretArn DatabaseName"),
        "ExternalSlurmdbd": _v("Host Port"),
    },
    "SlurmQueues": ListOf(_SLURM_QUEUE),
    "AwsBatchSettings": ANY,
    "AwsBatchQueues": ListOf(_BATCH_QUEUE),
    "SchedulerSettings": ANY,  # scheduler plugins, 3.1-3.6
    "SchedulerQueues": ListOf(ANY),
}

_FSX_LUSTRE: dict[str, Spec] = {
    **_v(
        "StorageCapacity DeploymentType ImportedFileChunkSize ExportPath ImportPath WeeklyMaintenanceStartTime "
        "AutomaticBackupRetentionDays CopyTagsToBackups DailyAutomaticBackupStartTime PerUnitStorageThroughput "
        "BackupId KmsKeyId FileSystemId AutoImportPolicy DriveCacheType DataCompressionType StorageType DeletionPolicy"
    ),
    "DataRepositoryAssociations": ListOf(
        _v("Name BatchImportMetaDataOnCreate DataRepositoryPath FileSystemPath ImportedFileChunkSize")
        | _v("AutoExportPolicy AutoImportPolicy")
    ),
}

_SHARED_STORAGE: dict[str, Spec] = {
    **_v("MountDir Name StorageType"),
    "EbsSettings": {
        **_v("VolumeType Iops Size KmsKeyId Throughput Encrypted SnapshotId VolumeId DeletionPolicy"),
        "Raid": _v("Type NumberOfVolumes"),
    },
    "EfsSettings": _v(
        "Encrypted KmsKeyId PerformanceMode ThroughputMode ProvisionedThroughput FileSystemId DeletionPolicy "
        "AccessPointId EncryptionInTransit IamAuthorization"
    ),
    "FsxLustreSettings": _FSX_LUSTRE,
    "FsxOpenZfsSettings": _v("VolumeId"),
    "FsxOntapSettings": _v("VolumeId"),
    "FileCacheSettings": _v("FileCacheId"),
}

_LOGIN_POOL: dict[str, Spec] = {
    **_v("Name InstanceType Count GracetimePeriod"),
    "Image": _AMI,
    "Networking": {**_v(f"SubnetIds {_SECURITY_GROUPS}"), "Proxy": _PROXY},
    "Ssh": _SSH,
    "Dcv": _DCV,
    "CustomActions": _NODE_ACTIONS,
    "Iam": {**_v("InstanceRole InstanceProfile"), "AdditionalIamPolicies": _POLICIES},
}

CLUSTER: dict[str, Spec] = {
    **_v("Region CustomS3Bucket AdditionalResources"),
    "Image": _v("Os CustomAmi"),
    "HeadNode": _HEAD_NODE,
    "Scheduling": _SCHEDULING,
    "SharedStorage": ListOf(_SHARED_STORAGE),
    "LoginNodes": {"Pools": ListOf(_LOGIN_POOL)},
    "Monitoring": {
        "DetailedMonitoring": SCALAR,
        "Logs": {"CloudWatch": _v("Enabled RetentionInDays DeletionPolicy"), "Rotation": _v("Enabled")},
        "Dashboards": {"CloudWatch": _v("Enabled")},
        "Alarms": _v("Enabled"),
    },
    "Tags": _TAGS,
    "AdditionalPackages": {"IntelSoftware": _v("IntelHpcPlatform")},
    "Iam": {**_v("PermissionsBoundary ResourcePrefix"), "Roles": _v("LambdaFunctionsRole")},
    "DirectoryService": {
        **_v(
            "DomainName DomainAddr PasswordSecretArn DomainReadOnlyUser LdapTlsCaCert LdapTlsReqCert "
            "LdapAccessFilter GenerateSshKeysForUsers"
        ),
        "AdditionalSssdConfigs": ANY,
    },
    "Imds": _v("ImdsSupport"),
    "DevSettings": ANY,
    "DeploymentSettings": {**_LAMBDA_VPC, **_v("DisableSudoAccessForDefaultUser DefaultUserHome")},
}

BUILD_IMAGE: dict[str, Spec] = {
    **_v("Region CustomS3Bucket"),
    "Build": {
        **_v("InstanceType ParentImage SubnetId SecurityGroupIds"),
        "Iam": {
            **_v("InstanceRole InstanceProfile CleanupLambdaRole PermissionsBoundary"),
            "AdditionalIamPolicies": _POLICIES,
        },
        "Components": ListOf(_v("Type Value")),
        "Tags": _TAGS,
        "UpdateOsPackages": _v("Enabled"),
        "Imds": _v("ImdsSupport"),
        "Installation": {"NvidiaSoftware": _v("Enabled"), "LustreClient": _v("Enabled")},  # 3.12+
    },
    "Image": {**_v("Name"), "Tags": _TAGS, "RootVolume": _v("Size Encrypted KmsKeyId")},
    "DevSettings": ANY,
    "DeploymentSettings": _LAMBDA_VPC,
}

TREES: dict[V3Kind, Mapping[str, Spec]] = {
    "pcluster-v3-cluster": CLUSTER,
    "pcluster-v3-build-image": BUILD_IMAGE,
}
NOT_V3 = "not a ParallelCluster cluster or build-image config (no HeadNode, Scheduling or Build key)"


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest known key: same letters in another case, else :func:`difflib.get_close_matches`."""
    options = list(choices)
    for option in options:
        if option.lower() == word.lower():
            return option
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def kind_of(data: Any) -> V3Kind | None:
    """Which v3 config the parsed top level is: HeadNode/Scheduling -> cluster, Build -> build image."""
    if not isinstance(data, dict):
        return None
    if "HeadNode" in data or "Scheduling" in data:
        return "pcluster-v3-cluster"
    return "pcluster-v3-build-image" if "Build" in data else None


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return f"the value {text if len(text) <= 60 else text[:57] + '...'}"


class _Checker:
    def __init__(self, lines: Mapping[str, int], origin: str) -> None:
        self.lines = lines
        self.origin = origin

    def fail(self, path: str, message: str) -> ConfigError:
        line = self.lines.get(path)
        return ConfigError(f"{self.origin}:{line}: {message}" if line else f"{self.origin}: {message}")

    def check(self, value: Any, spec: Spec, path: str) -> None:
        if spec is ANY or value is None:
            return
        if spec is SCALAR:
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, (dict, list)):
                    at = f"{path}[{i}]" if isinstance(value, list) else path
                    raise self.fail(at, f"{at} should be a value, not {_shape(item)}")
            return
        if isinstance(spec, ListOf):
            if not isinstance(value, list):
                raise self.fail(path, f"{path} should be a list, not {_shape(value)}")
            for i, item in enumerate(value):
                self.check(item, spec.item, f"{path}[{i}]")
            return
        assert isinstance(spec, Mapping)
        if not isinstance(value, dict):
            where = path or "the top level"
            raise self.fail(path, f"{where} should be a mapping (key: value lines), not {_shape(value)}")
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if key not in spec:
                where = f"under {path}" if path else "at the top level"
                hint = suggest(key, spec)
                tail = f" (did you mean {hint!r}?)" if hint else ""
                raise self.fail(child, f"unknown key {key!r} {where}{tail}")
            self.check(item, spec[key], child)


def check(data: Any, lines: Mapping[str, int], origin: str, kind: V3Kind) -> None:
    """Raise :class:`ConfigError` at the first unknown key or misplaced list/mapping/value."""
    _Checker(lines, origin).check(data, TREES[kind], "")


def parse(text: str, origin: str) -> tuple[V3Kind, Located]:
    """Load YAML text, tell cluster from build-image config by its top-level keys, and check it."""
    located = load_yaml(text, origin)
    if not isinstance(located.data, dict):
        raise ConfigError(f"{origin}:1: {NOT_V3}: the top level is {_shape(located.data)}, not a mapping")
    kind = kind_of(located.data)
    if kind is None:
        raise ConfigError(f"{origin}: {NOT_V3}")
    check(located.data, located.lines, origin, kind)
    return kind, located
