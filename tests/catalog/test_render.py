"""Readable catalog and plan text: wildcard reach and broad entries are visible."""

from __future__ import annotations

from egressmap.catalog import Target, bundled
from egressmap.catalog.configs import load_config
from egressmap.catalog.planner import plan
from egressmap.catalog.render import plan_text, show, show_dict

from .test_planner import CONFIGS


def test_plan_text_marks_one_label_and_broad_entries_and_lists_their_warnings() -> None:
    """A one-label wildcard over S3 reads '(one label) [broad]' and the report says why it is broad."""
    text = plan_text(plan(load_config(str(CONFIGS / "seed000-ubuntu-cluster.yaml"))))
    assert "*.s3.amazonaws.com (one label) [broad]" in text
    assert "Broad entries (2):" in text
    assert "*.s3.us-east-1.amazonaws.com is shared hosting" in text
    assert "cluster bucket name unknown" in text


def test_catalog_show_gives_the_reach_of_wildcard_hosts_only() -> None:
    """``match`` is one-label for the bucket names, subdomains for other wildcards, exact otherwise."""
    cat = bundled()["parallelcluster"]
    lines = [e for e in cat.entries if e.id in ("cluster-config-bucket-names", "ec2-bootstrap")]
    data = show_dict(cat, Target(), lines, [], [])
    assert {e["id"]: e["match"] for e in data["entries"]} == {
        "cluster-config-bucket-names": "one-label",
        "ec2-bootstrap": "exact",
    }
    blob = [e for e in bundled()["cyclecloud"].entries if e.id == "azure-storage-nodes"]
    assert show_dict(bundled()["cyclecloud"], Target(), blob, [], [])["entries"][0]["match"] == "subdomains"
    text = show(cat, "parallelcluster", lines, [], [], 0)
    assert "*.s3.{region}.amazonaws.com (one label), *.s3.amazonaws.com (one label)" in text
