from __future__ import annotations

import json
from pathlib import Path

from egressmap.proxy import record as proxy_record
from egressmap.proxy.record import Record, RecordWriter
from egressmap.sources import record as source_record


def test_schema_is_the_one_the_source_reads() -> None:
    """The writer and the evidence source agree on the format name."""
    assert proxy_record.SCHEMA == source_record.SCHEMA


def test_record_line_has_every_field_in_a_fixed_order() -> None:
    """One compact JSON object per record, marker first."""
    line = Record("pypi.org", 443, "CONNECT", "127.0.0.1:5", sni="pypi.org", time=1.5).to_json()
    assert line.startswith('{"record":"egressmap.record/1","host":"pypi.org","port":443,')
    assert list(json.loads(line)) == [
        "record", "host", "port", "method", "client", "mode", "outcome", "reason", "status", "url", "sni",
        "sni_mismatch", "bytes_up", "bytes_down", "duration", "time",
    ]  # fmt: skip


def test_writer_buffers_until_flush_and_appends(tmp_path: Path) -> None:
    """Nothing reaches the file before flush; close flushes; a second writer appends."""
    path = tmp_path / "r.jsonl"
    writer = RecordWriter(str(path))
    writer.add(Record("a.org", 443, "CONNECT", "c"))
    assert path.read_text() == ""
    writer.flush()
    assert len(path.read_text().splitlines()) == 1
    writer.add(Record("b.org", 80, "GET", "c"))
    writer.close()
    again = RecordWriter(str(path))
    again.add(Record("c.org", 80, "GET", "c"))
    again.close()
    assert [json.loads(x)["host"] for x in path.read_text().splitlines()] == ["a.org", "b.org", "c.org"]


def test_writer_without_a_file_counts_only() -> None:
    """No --record: records are counted for the summary, not kept."""
    writer = RecordWriter(None)
    writer.add(Record("a.org", 443, "CONNECT", "c"))
    writer.flush()
    writer.close()
    assert writer.count == 1
