"""S3 objects read one after another: markers, gzip on the fly, damaged and vanished objects, errors."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from egressmap.fetch.aws import FetchError
from egressmap.fetch.s3 import S3Object
from egressmap.fetch.s3_read import OUT_MAX, Damaged, ObjectStream, inflate, write_objects
from tests.fetch.s3_world import BUCKET, fake_credentials


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_way_out: list[str]) -> Iterator[Any]:
    """An S3 client answered by moto in-process, with the test bucket."""
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        yield client


def store(client: Any, objects: dict[str, bytes]) -> list[S3Object]:
    """Put the objects; their listing entries, in the given order."""
    for key, body in objects.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return [S3Object(key, len(body)) for key, body in objects.items()]


def test_objects_follow_their_markers_decompressed(s3: Any) -> None:
    """gzip, multi-member gzip, plain, empty and unterminated objects: each after its marker, lines whole."""
    listed = store(
        s3,
        {
            "a.log.gz": gzip.compress(b"one\ntwo\n"),
            "b.log.gz": gzip.compress(b"three\n") + gzip.compress(b"four\n"),
            "c.log": b"five\nsix",
            "d.log.gz": b"",
        },
    )
    body = ObjectStream(s3, BUCKET, listed)
    text = body.read().decode()
    assert text.splitlines() == [
        f"#egressmap-object s3://{BUCKET}/a.log.gz",
        "one",
        "two",
        f"#egressmap-object s3://{BUCKET}/b.log.gz",
        "three",
        "four",
        f"#egressmap-object s3://{BUCKET}/c.log",
        "five",
        "six",
        f"#egressmap-object s3://{BUCKET}/d.log.gz",
    ]
    assert text.endswith("\n") and body.read_objects == 4 and body.problems == []
    assert body.tell() == len(text.encode())


def test_a_damaged_object_keeps_its_lines_and_is_reported(s3: Any) -> None:
    """A gzip object cut short: the lines before the cut are kept; the problem names it at its marker's line."""
    whole = gzip.compress(b"".join(b"line %d\n" % n for n in range(2000)))
    listed = store(
        s3, {"ok.gz": gzip.compress(b"x\n"), "cut.gz": whole[: len(whole) // 2], "after.gz": whole}
    )
    body = ObjectStream(s3, BUCKET, listed, origin="out.log")
    lines = body.read().decode().splitlines()
    assert lines[-2001] == f"#egressmap-object s3://{BUCKET}/after.gz"  # the next object is read whole
    [problem] = body.problems
    assert (problem.origin, problem.lineno, problem.kind) == ("out.log", 3, "malformed")
    assert problem.reason == f"s3://{BUCKET}/cut.gz: gzip data cut short; the lines before it were used"


def test_an_object_gone_since_the_listing_is_a_warning(s3: Any) -> None:
    """Deleted between listing and reading (a lifecycle rule): a warning, and the rest is read."""
    listed = store(s3, {"gone.gz": gzip.compress(b"x\n"), "kept.gz": gzip.compress(b"y\n")})
    s3.delete_object(Bucket=BUCKET, Key="gone.gz")
    body = ObjectStream(s3, BUCKET, listed)
    assert body.read().decode().splitlines()[-1] == "y"
    assert [(p.lineno, p.kind, p.reason) for p in body.problems] == [
        (1, "warning", f"s3://{BUCKET}/gone.gz: gone since it was listed")
    ]


def test_access_denied_on_an_object_stops_with_one_line() -> None:
    """s3:GetObject missing: one line naming the object and the permission."""
    client = boto3.client("s3", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
        with pytest.raises(FetchError) as info:
            ObjectStream(client, BUCKET, [S3Object("AWSLogs/k.gz", 10)]).read()
    assert (
        str(info.value)
        == f"access denied to s3://{BUCKET}/AWSLogs/k.gz: the credentials need s3:GetObject on it"
    )


def test_inflate_gives_bounded_steps_and_says_what_is_wrong() -> None:
    """A small object that inflates hugely comes out in steps of at most OUT_MAX; damage is Damaged."""
    big = gzip.compress(b"0" * (3 * OUT_MAX))
    steps = list(inflate([big]))
    assert len(steps) >= 3 and max(map(len, steps)) <= OUT_MAX and sum(map(len, steps)) == 3 * OUT_MAX
    assert b"".join(inflate([big[:10], big[10:]])) == b"0" * (3 * OUT_MAX)
    with pytest.raises(Damaged, match="damaged gzip data"):
        list(inflate([gzip.compress(b"a\n") + b"not gzip"]))


def test_write_objects_to_a_file(s3: Any, tmp_path: Path) -> None:
    """The file holds what the stream gives; a file that cannot be written is one line."""
    listed = store(s3, {"a.gz": gzip.compress(b"one\n")})
    out = tmp_path / "out.log"
    body = write_objects(s3, BUCKET, listed, out)
    assert out.read_text() == f"#egressmap-object s3://{BUCKET}/a.gz\none\n" and body.read_objects == 1
    with pytest.raises(FetchError, match="cannot write"):
        write_objects(s3, BUCKET, listed, tmp_path / "missing" / "out.log")
