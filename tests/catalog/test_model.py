"""Conditions and targets."""

from __future__ import annotations

from packaging.version import Version

from egressmap.catalog import Conditions, Target


def test_conditions_match_versions_os_arch_features_partitions() -> None:
    cond = Conditions(
        versions=">=3.10,<3.12",
        os=frozenset({"rhel9", "rocky9"}),
        arch=frozenset({"x86_64"}),
        features=frozenset({"dcv", "nvidia"}),
        partitions=frozenset({"aws"}),
    )
    ok = Target(
        Version("3.11.1"), "rocky9", frozenset({"x86_64"}), frozenset({"dcv", "nvidia", "efa"}), "aws"
    )
    assert cond.matches(ok)
    assert not cond.matches(Target(Version("3.12.0"), "rocky9", frozenset({"x86_64"}), ok.features, "aws"))
    assert not cond.matches(
        Target(Version("3.11.1"), "ubuntu2404", frozenset({"x86_64"}), ok.features, "aws")
    )
    assert not cond.matches(Target(Version("3.11.1"), "rocky9", frozenset({"arm64"}), ok.features, "aws"))
    assert not cond.matches(
        Target(Version("3.11.1"), "rocky9", frozenset({"x86_64"}), frozenset({"dcv"}), "aws")
    )
    assert not cond.matches(Target(Version("3.11.1"), "rocky9", frozenset({"x86_64"}), ok.features, "aws-cn"))


def test_unknown_target_attributes_match_and_features_none_means_all() -> None:
    cond = Conditions(versions="<3.0", os=frozenset({"centos7"}), features=frozenset({"dcv"}))
    assert cond.matches(Target(None, None, None, None, None))
    assert not cond.matches(Target(None, None, None, frozenset(), None))
    assert cond.describe() == "versions <3.0; os centos7; features dcv"
    assert Conditions().describe() == ""
