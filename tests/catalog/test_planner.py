"""The plan as a whole: assumptions, overrides, JSON shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.catalog.bucket import default_bucket_name
from egressmap.catalog.configs import load_config
from egressmap.catalog.planner import plan
from egressmap.errors import ConfigError
from egressmap.model import entry_covers

CONFIGS = Path(__file__).parents[1] / "data" / "configs"


def test_json_shape_and_assumptions() -> None:
    result = plan(load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml")))
    data = result.to_dict()
    assert {"entries", "private_endpoints", "findings"} <= set(data)
    assert data["stack"] == "parallelcluster@3.14.0" and data["network"] == "proxy"
    assert any("newest the catalog knows" in a for a in data["assumptions"])
    assert all(e["tier"] == "predicted" for e in data["entries"])


def test_overrides_change_version_network_and_region() -> None:
    doc = load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml"))
    old = plan(doc, "parallelcluster@3.9.0", network="isolated", region="eu-west-1")
    assert (str(old.version), old.network, old.region) == ("3.9.0", "isolated", "eu-west-1")
    assert not old.assumptions or all("newest" not in a for a in old.assumptions)
    assert any(e.pattern == "ec2.eu-west-1.amazonaws.com" for e in old.entries)
    assert "managed-dns" in {f.rule for f in old.findings}
    with pytest.raises(ConfigError, match="not one botocore knows"):
        plan(doc, region="mars-east-1")
    with pytest.raises(ConfigError, match="cannot be planned as cyclecloud"):
        plan(doc, "cyclecloud@8")


def test_non_bootstrapped_ami_adds_the_image_build_phase() -> None:
    doc = load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml"))
    base = plan(doc)
    full = plan(doc, features=["non-bootstrapped-ami"])
    assert "image-build" not in base.phases and "image-build" in full.phases
    assert len(full.entries) > len(base.entries)
    assert "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com" in {e.pattern for e in full.entries}


def test_the_cluster_bucket_is_named_when_the_config_reveals_the_account() -> None:
    """seed002's secret ARN gives the account: exact bucket names replace the one-label wildcards."""
    result = plan(load_config(str(CONFIGS / "seed002-isolated.yaml")))
    bucket = default_bucket_name("111122223333", "us-gov-west-1")
    patterns = {e.pattern: e for e in result.entries}
    assert {f"{bucket}.s3.us-gov-west-1.amazonaws.com", f"{bucket}.s3.amazonaws.com"} <= set(patterns)
    assert not [p for p in patterns if p.startswith("*.s3")]
    named = patterns[f"{bucket}.s3.us-gov-west-1.amazonaws.com"]
    assert (named.match, named.broad) == ("exact", False)
    assert any(
        "cluster-config-bucket-names" in r and "DirectoryService.PasswordSecretArn" in r
        for r in named.reasons
    )
    assert any(
        a.startswith(f"cluster bucket: bucket {bucket} from account 111122223333") for a in result.assumptions
    )


def test_without_the_account_the_bucket_names_stay_broad_one_label_wildcards() -> None:
    """seed000's ARNs are redacted (xxxx): the bucket forms stay wildcards a firewall can still match."""
    result = plan(load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml")))
    wild = {e.pattern: e for e in result.entries if e.pattern.startswith("*.")}
    assert {"*.s3.us-east-1.amazonaws.com", "*.s3.amazonaws.com"} <= set(wild)
    for entry in (wild["*.s3.us-east-1.amazonaws.com"], wild["*.s3.amazonaws.com"]):
        assert (entry.match, entry.broad) == ("one-label", True)
        assert entry_covers(
            entry.pattern, entry.match, "parallelcluster-0123-v1-do-not-delete" + entry.pattern[1:]
        )
        assert not entry_covers(entry.pattern, entry.match, "a.b." + entry.pattern[2:])
    unknown = [a for a in result.assumptions if a.startswith("cluster bucket name unknown")]
    assert len(unknown) == 1 and "no ARN with an account id" in unknown[0] and "CustomS3Bucket" in unknown[0]
