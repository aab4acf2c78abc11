"""Version diffs by component."""

from __future__ import annotations

from packaging.version import Version

from egressmap.catalog import StackCatalog, Target
from egressmap.catalog.diff import diff


def test_a_download_that_moved_shows_old_and_new_hosts(small: StackCatalog) -> None:
    a = Target(Version("3.9.0"), None, None, None, "aws")
    changes = diff(small, a, Target(Version("3.10.0"), None, None, None, "aws"))
    assert [(c.kind, c.component) for c in changes] == [("moved", "slurm")]
    moved = changes[0]
    assert moved.removed == ("github.com:443",)
    assert moved.added == ("{region}-demo.s3.{region}.amazonaws.com:443",)
    assert moved.to_dict()["added_entries"] == ["slurm-bucket"]


def test_same_version_has_no_changes_and_order_is_moved_removed_added(small: StackCatalog) -> None:
    t = Target(Version("3.10.0"), None, None, None, "aws")
    assert diff(small, t, t) == []
    rhel = Target(Version("3.10.0"), "rhel9", None, None, "aws")
    ubuntu = Target(Version("3.10.0"), "ubuntu2404", None, None, "aws")
    assert [(c.kind, c.component) for c in diff(small, rhel, ubuntu)] == [("added", "dcv")]
    assert [(c.kind, c.component) for c in diff(small, ubuntu, rhel)] == [("removed", "dcv")]
