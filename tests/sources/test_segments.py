"""Inputs of several objects (fetch s3 files): markers hidden from readers, sources naming the object and line."""

from __future__ import annotations

import gzip
from pathlib import Path

from egressmap.ingest import IngestReport, observe
from egressmap.model import Observation
from egressmap.sources.reader import InputStream
from egressmap.sources.segments import Segments
from tests.sources.test_route53_resolver import record

A, B = "s3://logs-example/AWSLogs/k1.log.gz", "s3://logs-example/AWSLogs/k2.log.gz"


def fetched(*objects: tuple[str, list[str]]) -> str:
    """A file as fetch s3 writes it: a marker line, then the object's lines, for each object."""
    return "".join(
        f"#egressmap-object {uri}\n" + "".join(f"{line}\n" for line in lines) for uri, lines in objects
    )


def test_markers_are_blank_lines_to_readers_and_numbering_holds(tmp_path: Path) -> None:
    """The head and the lines have empty lines where the markers were; the segments know where each began."""
    path = tmp_path / "resolver.log"
    path.write_text(fetched((A, [record("pypi.org."), record("github.com.")]), (B, [record("example.org.")])))
    stream = InputStream(str(path))
    try:
        lines = list(stream.lines())
        assert stream.segments is not None
        assert lines[0] == "" and lines[3] == "" and stream.head[0] == ""
        assert [line.startswith("{") for line in lines] == [False, True, True, False, True]
        assert (stream.segments.starts, stream.segments.labels) == ([1, 4], [A, B])
        assert not stream.plain_file  # read in one piece, never by parts from the path
    finally:
        stream.close()


def test_sources_name_the_object_and_its_line(tmp_path: Path) -> None:
    """Read through observe(): a Resolver file fetched from S3 names s3://bucket/key:LINE for each name."""
    path = tmp_path / "resolver.log.gz"
    body = fetched(
        (A, [record("pypi.org."), record("github.com.")]), (B, ["not json", record("example.org.")])
    )
    path.write_bytes(gzip.compress(body.encode()))
    report = IngestReport()
    found = {o.host: o.source for o in observe([str(path)], report) if isinstance(o, Observation)}
    assert found == {"pypi.org": f"{A}:1", "github.com": f"{A}:2", "example.org": f"{B}:2"}
    [rep] = report.inputs
    assert rep.format == "route53-resolver"
    assert list(rep.problems.values()) == [[5]]  # the bad line, numbered in the file


def test_a_marker_not_on_the_first_line_is_no_segment(tmp_path: Path) -> None:
    """Only a file that starts with a marker is segmented; elsewhere the line is the reader's to judge."""
    path = tmp_path / "notes.txt"
    path.write_text("see https://example.org/x.tar.gz\n#egressmap-object s3://b/k\n")
    stream = InputStream(str(path))
    try:
        assert stream.segments is None and list(stream.lines())[1].startswith("#egressmap-object")
    finally:
        stream.close()


def test_relabel_keeps_what_follows_the_line_number() -> None:
    """A source with a group and stream after its line keeps them; other origins are left alone."""
    seg = Segments()
    seg.blank(b"#egressmap-object s3://b/k\nx\ny", 1)
    base = Observation("a.example", 443, "dns", "observed", "why", "f.log:3 (/aws/g s1)")
    other = Observation("a.example", 443, "dns", "observed", "why", "g.log:3")
    assert [o.source for o in seg.relabel([base, other], "f.log") if isinstance(o, Observation)] == [
        "s3://b/k:2 (/aws/g s1)",
        "g.log:3",
    ]
