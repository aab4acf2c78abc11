from __future__ import annotations

from collections.abc import Mapping

import pytest

from egressmap.catalog.configs.pcluster_v3 import (
    ANY,
    BUILD_IMAGE,
    CLUSTER,
    SCALAR,
    ListOf,
    Spec,
    kind_of,
    parse,
    suggest,
)
from egressmap.errors import ConfigError

HEAD = "HeadNode:\n  InstanceType: t3.micro\n"


def _spec_at(tree: Mapping[str, Spec], path: str) -> Spec:
    spec: Spec = tree
    for part in path.split("."):
        while isinstance(spec, ListOf):
            spec = spec.item
        assert isinstance(spec, Mapping), path
        spec = spec[part]
    return spec


@pytest.mark.parametrize(
    "path",
    [
        # from the reference notes (docs/reference/parallelcluster.md sections 2, 3 and 5)
        "Scheduling.SlurmSettings.Dns.DisableManagedDns",
        "Scheduling.SlurmSettings.Dns.UseEc2Hostnames",
        "Scheduling.SlurmSettings.Dns.HostedZoneId",
        "HeadNode.Networking.AdditionalSecurityGroups",
        "Scheduling.SlurmQueues.Networking.AdditionalSecurityGroups",
        "DeploymentSettings.LambdaFunctionsVpcConfig.SubnetIds",
        "HeadNode.Imds.Secured",
        "Imds.ImdsSupport",
        "HeadNode.Networking.Proxy.HttpProxyAddress",
        "Scheduling.SlurmQueues.Networking.Proxy.HttpProxyAddress",
        "LoginNodes.Pools.Networking.Proxy.HttpProxyAddress",
        "HeadNode.Networking.ElasticIp",
        "Scheduling.SlurmQueues.Networking.AssignPublicIp",
        "LoginNodes.Pools.Ssh.AllowedIps",
        "HeadNode.Dcv.Port",
        "Scheduling.SlurmQueues.ComputeResources.Efa.GdrSupport",
        "SharedStorage.EfsSettings.IamAuthorization",
        "SharedStorage.FsxLustreSettings.DataRepositoryAssociations.DataRepositoryPath",
        "SharedStorage.FsxOntapSettings.VolumeId",
        "SharedStorage.FileCacheSettings.FileCacheId",
        "DirectoryService.LdapTlsReqCert",
        "Scheduling.SlurmSettings.Database.PasswordSecretArn",
        "Scheduling.SlurmSettings.ExternalSlurmdbd.Port",
        "Scheduling.SlurmSettings.MungeKeySecretArn",
        "Scheduling.SlurmSettings.CustomSlurmSettingsIncludeFile",
        "HeadNode.CustomActions.OnNodeUpdated.Sequence.Script",
        "Scheduling.SlurmQueues.CustomActions.OnNodeStart.Args",
        "LoginNodes.Pools.CustomActions.OnNodeConfigured.Script",
        "HeadNode.Iam.S3Access.BucketName",
        "LoginNodes.Pools.Iam.AdditionalIamPolicies.Policy",
        "Monitoring.Logs.CloudWatch.RetentionInDays",
        "Monitoring.Alarms.Enabled",
        "Scheduling.SlurmQueues.CapacityReservationTarget.CapacityReservationResourceGroupArn",
        "AdditionalPackages.IntelSoftware.IntelHpcPlatform",
        "Scheduling.SlurmQueues.Image.CustomAmi",
        "LoginNodes.Pools.Image.CustomAmi",
        "Iam.Roles.LambdaFunctionsRole",
    ],
)
def test_cluster_tree_knows(path: str) -> None:
    assert _spec_at(CLUSTER, path) is SCALAR


@pytest.mark.parametrize(
    "path",
    [
        "Build.SubnetId",
        "Build.SecurityGroupIds",
        "Build.ParentImage",
        "Build.Components.Value",
        "Build.UpdateOsPackages.Enabled",
        "Build.Installation.NvidiaSoftware.Enabled",
        "Build.Installation.LustreClient.Enabled",
        "Build.Imds.ImdsSupport",
        "Build.Iam.CleanupLambdaRole",
        "Image.RootVolume.KmsKeyId",
        "DeploymentSettings.LambdaFunctionsVpcConfig.SecurityGroupIds",
    ],
)
def test_build_image_tree_knows(path: str) -> None:
    assert _spec_at(BUILD_IMAGE, path) is SCALAR


@pytest.mark.parametrize(
    "path",
    [
        "DevSettings",
        "Scheduling.SlurmSettings.CustomSlurmSettings",
        "Scheduling.SlurmQueues.CustomSlurmSettings",
        "DirectoryService.AdditionalSssdConfigs",
    ],
)
def test_free_form_keys(path: str) -> None:
    assert _spec_at(CLUSTER, path) is ANY


def test_free_form_content_is_accepted() -> None:
    text = (
        HEAD
        + "DevSettings:\n  Cookbook:\n    ChefCookbook: s3://b/c.tgz\n  Whatever: {x: [1, 2]}\n"
        + "DirectoryService:\n  DomainName: corp.example.com\n  AdditionalSssdConfigs:\n    debug_level: '0x1ff'\n"
        + "Scheduling:\n  Scheduler: slurm\n  SlurmSettings:\n    CustomSlurmSettings:\n      - SuspendTime: 60\n"
    )
    kind, located = parse(text, "c.yaml")
    assert kind == "pcluster-v3-cluster"
    assert located.data["DevSettings"]["Whatever"] == {"x": [1, 2]}


def test_custom_action_sequence() -> None:
    text = HEAD + (
        "  CustomActions:\n    OnNodeConfigured:\n      Sequence:\n"
        "        - Script: s3://bucket/one.sh\n          Args: [a, b]\n        - Script: https://example.com/two.sh\n"
    )
    _, located = parse(text, "c.yaml")
    assert located.data["HeadNode"]["CustomActions"]["OnNodeConfigured"]["Sequence"][1]["Script"] == (
        "https://example.com/two.sh"
    )
    assert located.lines["HeadNode.CustomActions.OnNodeConfigured.Sequence[1].Script"] == 8


def test_unknown_key_with_suggestion_and_line() -> None:
    text = (
        HEAD + "  Networking:\n    SubnetId: subnet-1\n    Proxxy:\n      HttpProxyAddress: http://p:3128\n"
    )
    with pytest.raises(ConfigError) as info:
        parse(text, "cluster.yaml")
    assert str(info.value) == (
        "cluster.yaml:5: unknown key 'Proxxy' under HeadNode.Networking (did you mean 'Proxy'?)"
    )


def test_unknown_key_in_a_list_item() -> None:
    text = "Scheduling:\n  SlurmQueues:\n    - Name: q\n      ComputeResources:\n        - Name: c\n          MaxCont: 3\n"
    with pytest.raises(ConfigError) as info:
        parse(text, "c.yaml")
    message = str(info.value)
    assert message.startswith(
        "c.yaml:6: unknown key 'MaxCont' under Scheduling.SlurmQueues[0].ComputeResources[0]"
    )
    assert "did you mean 'MaxCount'?" in message


def test_unknown_top_level_key_and_case_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"^c\.yaml:3: unknown key 'region' at the top level \(did you mean 'Region'\?\)$"
    ):
        parse(HEAD + "region: us-east-1\n", "c.yaml")


def test_unknown_key_without_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        parse(HEAD + "Zzzzzz: 1\n", "c.yaml")
    assert "did you mean" not in str(info.value)


def test_queue_has_no_on_node_updated() -> None:
    text = "Scheduling:\n  SlurmQueues:\n    - Name: q\n      CustomActions:\n        OnNodeUpdated:\n          Script: s3://b/x.sh\n"
    with pytest.raises(ConfigError, match=r"^c\.yaml:5: unknown key 'OnNodeUpdated'"):
        parse(text, "c.yaml")


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (
            "  Networking:\n    - SubnetId: s\n",
            3,
            "HeadNode.Networking should be a mapping (key: value lines), not a list",
        ),
        (
            "  Networking: subnet-1\n",
            3,
            "HeadNode.Networking should be a mapping (key: value lines), not the value 'subnet-1'",
        ),
        (
            "  SharedStorageType:\n    Size: big\n",
            3,
            "HeadNode.SharedStorageType should be a value, not a mapping",
        ),
        (
            "  Networking:\n    SecurityGroups:\n      - [sg-1]\n",
            5,
            "HeadNode.Networking.SecurityGroups[0] should be a value, not a list",
        ),
        (
            "  Iam:\n    S3Access:\n      BucketName: b\n",
            4,
            "HeadNode.Iam.S3Access should be a list, not a mapping",
        ),
    ],
)
def test_shape_errors(body: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(HEAD + body, "c.yaml")
    assert str(info.value) == f"c.yaml:{line}: {words}"


def test_empty_sections_and_value_lists_are_fine() -> None:
    text = HEAD + "  Networking:\n    SecurityGroups: [sg-1, sg-2]\n  Dcv:\nScheduling:\n  Scheduler: slurm\n"
    _, located = parse(text, "c.yaml")
    assert located.data["HeadNode"]["Dcv"] is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- HeadNode: {}\n", "c.yaml:1: not a ParallelCluster cluster or build-image config"),
        ("just text\n", "the top level is the value 'just text', not a mapping"),
        (
            "Region: us-east-1\nImage:\n  Os: alinux2\n",
            "c.yaml: not a ParallelCluster cluster or build-image config (no HeadNode",
        ),
    ],
)
def test_not_a_v3_config(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, "c.yaml")
    assert words in str(info.value)


def test_build_image_kind_and_checks() -> None:
    kind, _ = parse("Build:\n  InstanceType: c5.xlarge\n  ParentImage: ami-1\n", "b.yaml")
    assert kind == "pcluster-v3-build-image"
    with pytest.raises(ConfigError) as info:
        parse("Build:\n  InstanceType: c5.xlarge\n  SubnetIds: [subnet-1]\n", "b.yaml")
    assert str(info.value) == "b.yaml:3: unknown key 'SubnetIds' under Build (did you mean 'SubnetId'?)"


def test_kind_of() -> None:
    assert kind_of({"Scheduling": {}}) == "pcluster-v3-cluster"
    assert kind_of({"Build": {}}) == "pcluster-v3-build-image"
    assert kind_of({"HeadNode": {}, "Build": {}}) == "pcluster-v3-cluster"
    assert kind_of(["HeadNode"]) is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Proxxy", "Proxy"), ("proxy", "Proxy"), ("SubnetID", "SubnetId"), ("Elephant", None)],
)
def test_suggest(word: str, expected: str | None) -> None:
    assert suggest(word, ["Proxy", "SubnetId", "SecurityGroups"]) == expected
