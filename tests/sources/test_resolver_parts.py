"""A big Route 53 Resolver log read in two processes gives what one pass over it gives."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from egressmap.ingest import IngestReport, observe
from egressmap.model import Observation
from egressmap.sources import parallel, resolver_parts
from tests.sources.test_route53_resolver import STREAM, record


def log_bytes(lines: int = 3000, prefix: str = "") -> bytes:
    """Queries from 120 clients for 20 names, with bad, dropped and unreadable lines in both halves.

    ``prefix``: before each line, as a CloudWatch Logs export writes a time and a log stream.
    """
    out = []
    for i in range(lines):
        if i in (99, 2899):
            out.append(b"\x00 NUL in a line")
        elif i in (1499, 2699):
            out.append(record("caf\xe9.example.").encode()[:-2] + b'\xff"}')
        elif i in (499, 2499):
            out.append(record()[:60].encode())
        elif i % 97 == 0:
            out.append(record(f"{i % 250}.0.10.in-addr.arpa.", query_type="PTR").encode())
        else:
            name = (
                f"n{(i * 7) % (20 if i < 2000 else 23)}.example.org."  # three names only in the second half
            )
            client = (i * 13) % 120 if i < 1500 else 119 - (i * 11) % 120
            out.append(
                record(
                    name,
                    srcaddr=f"10.0.{client // 250}.{client % 250}",
                    srcids={"instance": f"i-{client:017x}"},
                    query_timestamp=f"2026-11-03T{(i * 37) % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
                    rcode="NXDOMAIN" if i % 11 == 0 else "NOERROR",
                ).encode()
            )
    return b"\n".join(prefix.encode() + line for line in out) + b"\n"


def read(path: Path) -> tuple[list[Observation], dict[str, Any]]:
    report = IngestReport()
    observations = list(observe([str(path)], report))
    rep = report.inputs[0]
    return observations, {
        "format": rep.format,
        "lines": rep.lines,
        "observations": rep.observations,
        "problems": rep.problems,
        "counts": dict(rep.problem_counts),
    }


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Files of any size are split, on any machine; the list says whether each read was split."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    done: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        parts = parallel.split_work(*args, **kwargs)
        done.append(parts is not None)
        return parts

    monkeypatch.setattr(resolver_parts, "split_work", recording)
    return done


def one_pass(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Observation], dict[str, Any]]:
    with monkeypatch.context() as patch:
        patch.setattr(resolver_parts, "split_work", lambda *args, **kwargs: None)
        return read(path)


@pytest.mark.parametrize("prefix", ["", f"2026-11-03T09:14:21.118000+00:00 {STREAM} "])
def test_two_processes_read_what_one_pass_reads(
    tmp_path: Path, split: list[bool], monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    """Observations (counts, client samples, times, first lines), skipped lines and reader problems agree."""
    path = tmp_path / "r53.log"
    path.write_bytes(log_bytes(prefix=prefix))
    want = one_pass(path, monkeypatch)
    got = read(path)
    assert split == [True]
    assert got == want
    observations, report = got
    assert report["lines"] == 3000 and report["format"] == "route53-resolver"
    assert len(observations) > 23 and max(len(o.clients) for o in observations) == 50
    late = [o.source for o in observations if int(o.source.split(":")[1].split()[0]) > 2000]
    assert late and all(
        s.endswith(f"({STREAM})" if prefix else "") for s in late
    )  # first seen in the child's part
    kinds = {reason.split(" (")[0]: lines for (_, reason), lines in report["problems"].items()}
    assert kinds["NUL byte in line"] == [100, 2900]
    assert kinds["invalid UTF-8"] == [1500, 2700]


def test_a_failed_child_leaves_the_file_to_be_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the child fails after this process read its part, the reader's problems are put back first."""
    path = tmp_path / "r53.log"
    path.write_bytes(log_bytes())
    want = one_pass(path, monkeypatch)

    def child_failed(path: str, work: Callable[[int, int], object], *args: Any, **kwargs: Any) -> None:
        work(0, Path(path).stat().st_size // 2)

    monkeypatch.setattr(resolver_parts, "split_work", child_failed)
    assert read(path) == want


def test_gzip_and_wanted_answers_are_not_split(tmp_path: Path, split: list[bool]) -> None:
    """A .gz is read line by line; so is a log whose DNS answers name a flow log's connections."""
    packed = tmp_path / "r53.log.gz"
    packed.write_bytes(gzip.compress(log_bytes(300)))
    assert read(packed)[1]["lines"] == 300
    flows = tmp_path / "flows.log"
    flows.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        "action log-status\n2 1 eni-1 10.0.0.9 192.0.2.1 4242 443 6 1 1 1793697261 1793697262 ACCEPT OK\n"
    )
    plain = tmp_path / "r53.log"
    plain.write_bytes(log_bytes(300))
    report = IngestReport()
    list(observe([str(plain), str(flows)], report))
    assert split == [] and report.inputs[0].lines == 300
