"""The cluster bucket: its name from CustomS3Bucket or the ARNs' account, and the catalog lines it narrows."""

from __future__ import annotations

import hashlib
from pathlib import Path

from egressmap.catalog import bundled
from egressmap.catalog.bucket import (
    BUCKET_ENTRIES,
    ClusterBucket,
    cluster_bucket,
    default_bucket_name,
    narrow,
)
from egressmap.catalog.configs import ConfigDoc, load_config

CONFIGS = Path(__file__).parents[1] / "data" / "configs"

CLUSTER = """Region: eu-west-1
Image:
  Os: rhel9
HeadNode:
  InstanceType: c5.xlarge
  Networking:
    SubnetId: subnet-0a1b2c3d4e5f60001
  Iam:
    InstanceRole: arn:aws:iam::111122223333:role/head
    AdditionalIamPolicies:
      - Policy: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: q1
      ComputeResources:
        - Name: c1
          InstanceType: c5.xlarge
      Networking:
        SubnetIds: [subnet-0a1b2c3d4e5f60001]
"""


def _doc(tmp_path: Path, text: str = CLUSTER) -> ConfigDoc:
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    return load_config(str(path))


def test_the_default_name_is_the_clis_hash_of_account_and_region() -> None:
    """parallelcluster-<first 16 hex digits of sha256(account + region)>-v1-do-not-delete, as pcluster names it."""
    digest = hashlib.sha256(b"111122223333eu-west-1").hexdigest()
    assert (
        default_bucket_name("111122223333", "eu-west-1") == f"parallelcluster-{digest[:16]}-v1-do-not-delete"
    )
    assert default_bucket_name("111122223333", "eu-west-1") != default_bucket_name(
        "111122223333", "us-east-1"
    )


def test_the_account_comes_from_an_arn_and_aws_managed_policies_are_ignored(tmp_path: Path) -> None:
    """One account in the ARNs (arn:aws:iam::aws:policy/... names none) gives the name, with path and line."""
    found = cluster_bucket(_doc(tmp_path), "eu-west-1")
    assert found is not None and found.name == default_bucket_name("111122223333", "eu-west-1")
    assert "account 111122223333 (HeadNode.Iam.InstanceRole" in found.why and "cluster.yaml:9" in found.why


def test_custom_s3_bucket_wins(tmp_path: Path) -> None:
    """CustomS3Bucket is the bucket, whatever the ARNs say."""
    found = cluster_bucket(_doc(tmp_path, "CustomS3Bucket: My-Bucket\n" + CLUSTER), "eu-west-1")
    assert found == ClusterBucket(
        "my-bucket", f"bucket my-bucket from CustomS3Bucket ({tmp_path}/cluster.yaml:1)"
    )


def test_no_name_when_accounts_differ_the_region_is_unknown_or_nothing_says(tmp_path: Path) -> None:
    """Two accounts, no region, no account at all: no name, and why; a v2 config: nothing to say."""
    two = (
        CLUSTER
        + "DirectoryService:\n  PasswordSecretArn: arn:aws:secretsmanager:eu-west-1:444455556666:secret:x\n"
    )
    found = cluster_bucket(_doc(tmp_path, two), "eu-west-1")
    assert found is not None and found.name is None
    assert "111122223333" in found.why and "444455556666" in found.why
    no_region = cluster_bucket(_doc(tmp_path), None)
    assert no_region == ClusterBucket(None, "no region to compute it from")
    redacted = CLUSTER.replace("111122223333", "xxxx")
    assert cluster_bucket(_doc(tmp_path, redacted), "eu-west-1") == ClusterBucket(
        None, "no CustomS3Bucket and no ARN with an account id in the config"
    )
    assert cluster_bucket(load_config(str(CONFIGS / "seed004-v2.ini")), "us-east-1") is None


def test_narrow_names_the_bucket_in_the_bucket_lines_only() -> None:
    """The two bucket lines get <bucket>.s3... hosts; other lines, and an unknown name, are left alone."""
    lines = [e for e in bundled()["parallelcluster"].entries if e.id in BUCKET_ENTRIES or e.id == "cli-s3"]
    assert {e.id for e in lines} == {*BUCKET_ENTRIES, "cli-s3"}
    named = {e.id: e.hosts for e in narrow(lines, ClusterBucket("b", "why"))}
    assert named["cluster-config-bucket-names"] == ("b.s3.{region}.amazonaws.com", "b.s3.amazonaws.com")
    assert named["cli-s3"] == ("s3.{region}.amazonaws.com",)
    assert narrow(lines, ClusterBucket(None, "why")) == lines
    assert narrow(lines, None) == lines
