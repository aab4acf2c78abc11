"""Reading configs into network facts."""

from __future__ import annotations

from pathlib import Path

from egressmap.catalog.configs import load_config
from egressmap.catalog.planner import facts_of

CONFIGS = Path(__file__).parents[1] / "data" / "configs"


def test_seed000_cluster_facts() -> None:
    facts = facts_of(load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml")))
    assert (facts.region, facts.os, facts.arches) == ("us-east-1", "ubuntu2404", frozenset({"x86_64"}))
    assert {"dcv", "nvidia", "cloudwatch-logs", "cloudwatch-dashboards", "alarms"} <= set(facts.features)
    assert facts.features["dcv"] == "HeadNode.Dcv.Enabled"
    assert [(g.kind, g.name, g.proxy) for g in facts.groups] == [
        ("head node", "HeadNode", "http://172.31.87.105:3128"),
        ("queue", "interactive-q", "http://172.31.87.105:3128"),
    ]
    assert [a.path for a in facts.custom_amis] == ["Image.CustomAmi"]
    assert facts.proxied and facts.ssh[0].value == "default:0.0.0.0/0"


def test_build_image_facts_turn_on_what_every_ami_build_installs() -> None:
    facts = facts_of(load_config(str(CONFIGS / "seed000-build-image.yaml")))
    assert facts.phases == ("cli-install", "image-build")
    assert {"dcv", "efa", "intel-mpi", "nvidia", "lustre", "update-os-packages"} <= set(facts.features)
    assert facts.os is None and not facts.proxied


def test_v2_facts_follow_cluster_template_and_vpc_settings() -> None:
    facts = facts_of(load_config(str(CONFIGS / "seed004-v2.ini")))
    assert (facts.region, facts.os, facts.scheduler) == ("us-east-1", "ubuntu1804", "slurm")
    assert facts.features["ssm"] == "[cluster default] additional_iam_policies"
    assert facts.ssh[0].path == "[vpc default] ssh_from"
    assert facts.where(facts.ssh[0].path).endswith("seed004-v2.ini:31")
    assert facts.default_version == "2.11.9"


def test_graviton_and_gpu_instance_types(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "Region: eu-west-1\nImage:\n  Os: alinux2023\nHeadNode:\n  InstanceType: c7g.large\n  Networking:\n"
        "    SubnetId: s\nScheduling:\n  Scheduler: slurm\n  SlurmQueues:\n    - Name: gpu\n      Networking:\n"
        "        SubnetIds: [s]\n      ComputeResources:\n        - Name: g\n          InstanceType: g5.xlarge\n"
        "          Efa:\n            Enabled: true\n"
    )
    facts = facts_of(load_config(str(config)))
    assert facts.arches == frozenset({"arm64", "x86_64"})
    assert facts.features["efa"] == "Scheduling.SlurmQueues[0].ComputeResources[0].Efa.Enabled"
    assert "g5.xlarge" in facts.features["nvidia"]
