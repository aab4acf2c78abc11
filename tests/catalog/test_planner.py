"""The plan as a whole: assumptions, overrides, JSON shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.catalog.configs import load_config
from egressmap.catalog.planner import plan
from egressmap.errors import ConfigError

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
