"""The manifest and lock: byte-identical YAML, checks, another version refused."""

from __future__ import annotations

import pytest

from egressmap.bundle.manifest import (
    LOCK_SCHEMA,
    Artefact,
    BundleError,
    Lock,
    LockedFile,
    Manifest,
    Serves,
    dump_lock,
    dump_manifest,
    load_lock,
    load_manifest,
    merge_artefacts,
)

SHA = "a" * 64


def _manifest(order: int) -> Manifest:
    artefacts = [
        Artefact(
            path="parallelcluster/installer.zip",
            url="https://example.test/installer.zip",
            checksum_url="https://example.test/installer.zip-sha256sum",
            serves=(Serves("cli-installer", "cli"),),
        ),
        Artefact(
            path="cyclecloud/slurm/3.0.8",
            kind="github-release",
            repository="Azure/cyclecloud-slurm",
            tag="3.0.8",
            source_archive=True,
            serves=(Serves("github-project-staging", "staging"), Serves("a", "b")),
        ),
    ]
    return Manifest(planned_from="test", artefacts=tuple(artefacts[::order]))


def test_manifest_round_trip_and_same_bytes_whatever_the_order() -> None:
    text = dump_manifest(_manifest(1))
    assert text == dump_manifest(_manifest(-1))
    assert dump_manifest(load_manifest(text)) == text
    assert "timestamp" not in text and text.index("cyclecloud/") < text.index("parallelcluster/")


def test_lock_round_trip() -> None:
    lock = Lock(
        "b" * 64,
        (LockedFile("x/b", "https://e.test/b", 3, SHA), LockedFile("x/a", "https://e.test/a", 1, SHA)),
    )
    text = dump_lock(lock)
    assert text.splitlines()[0] == f"schema: {LOCK_SCHEMA}"
    assert dump_lock(load_lock(text)) == text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("schema: egressmap.bundle-manifest/2\nartefacts: []\n", "another version"),
        ("schema: egressmap.bundle-lock/1\nfiles: []\n", "is not"),
        ("artefacts: []\n", "no 'schema:' line"),
        (
            "schema: egressmap.bundle-manifest/1\nartefacts: [{path: ../x, url: 'https://e.test/x'}]\n",
            "bad bundle path",
        ),
        (
            "schema: egressmap.bundle-manifest/1\nartefacts: [{path: x, url: 'ftp://e.test/x'}]\n",
            "http(s) url",
        ),
        (
            "schema: egressmap.bundle-manifest/1\nartefacts: [{url: 'https://e.test/x'}]\n",
            "missing or bad field",
        ),
        ("schema: [\n", "not valid YAML"),
    ],
)
def test_bad_manifests_are_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(BundleError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_manifest(text, "m.yaml")


def test_merge_joins_what_one_path_serves_and_refuses_two_urls_at_one_path() -> None:
    a = Artefact(path="f", url="https://e.test/f", serves=(Serves("one"),))
    b = Artefact(path="f", url="https://e.test/f", serves=(Serves("two"),))
    (merged,) = merge_artefacts([a, b])
    assert {s.entry for s in merged.serves} == {"one", "two"}
    with pytest.raises(BundleError, match="two different artefacts"):
        merge_artefacts([a, Artefact(path="f", url="https://e.test/g")])
