"""The native fast path over a big log read in two parts (two threads with the C counter, two processes without
it): the same result as one read."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path
from typing import Any

import pytest

from egressmap.model import Observation, Skipped
from egressmap.sources import gzip_range, parallel, reader, squid_count, squid_native
from egressmap.sources.interface import Item
from egressmap.sources.reader import MAX_LINE, InputStream

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the two-process path needs fork"),
    pytest.mark.usefixtures("c_or_python"),
]


def _log(lines: int) -> bytes:
    """Native lines over 60 hosts and 5 clients, with bad lines, NUL bytes, over-long lines and unusable URLs in
    both halves."""
    rng = random.Random(7)
    out: list[bytes] = []
    results = ["TCP_TUNNEL/200", "TCP_MISS/200", "TCP_DENIED/403", "TCP_MISS/503"]
    for i in range(lines):
        host = f"h{rng.randrange(60)}.example.com"
        result = rng.choice(results)
        method, url = ("CONNECT", f"{host}:443") if rng.random() < 0.6 else ("GET", f"http://{host}/p/{i}")
        line = (
            f"{1796375521 + i}.{rng.randrange(1000):03d} {rng.randrange(9000):6d} 10.0.0.{rng.randrange(5)} "
            f"{result} {rng.randrange(90000)} {method} {url} - HIER_DIRECT/192.0.2.1 -"
        ).encode()
        if i % 997 == 5:
            line = b"garbage line %d" % i
        elif i % 1409 == 9:
            line = line[:25] + b"\x00" + line[25:]
        elif i % 1999 == 11:
            line = b"1796375521.000 1 10.0.0.9 NONE_NONE/000 0 - error:invalid-request - HIER_NONE/- -"
        elif i in (2903, 8761):  # longer than a line may be (one in each part): skipped, with its number
            line = line + b"x" * MAX_LINE
        out.append(line)
    return b"\n".join(out) + b"\n"


def _read(path: Path) -> tuple[list[Item], int]:
    """Items of the native fast path (the reader's line problems among them), and the lines read."""
    stream = InputStream(str(path))
    try:
        items = list(squid_native.read_native_input(stream))
    finally:
        stream.close()
    return [*items, *stream.problems], stream.lines_read


def _two_processes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int | None, bool]]:
    """Make any input big enough to be read in two parts; record each split's size and whether it happened.

    With the C counter the parts are counted in two threads, without it in two processes.
    """
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    calls: list[tuple[int | None, bool]] = []
    if squid_count._Counter is not None:
        threads = squid_native._count_in_threads

        def in_threads(stream: InputStream, size: int, *args: Any) -> Any:
            calls.append((size, True))
            return threads(stream, size, *args)

        monkeypatch.setattr(squid_native, "_count_in_threads", in_threads)
        return calls

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        done = parallel.split_work(path, *args, **kwargs)
        calls.append((kwargs.get("size"), done is not None))
        return done

    monkeypatch.setattr(squid_native, "split_work", spy)
    return calls


def _summary(items: list[Item], clients: bool = True) -> tuple[object, ...]:
    """Observations (their first line, not the file name) and skipped lines in a stable order; clients on request."""
    observed = [o for o in items if isinstance(o, Observation)]
    return (
        sorted(
            (
                o.host,
                o.port,
                o.outcome,
                o.count,
                o.time,
                o.last_time,
                o.clients if clients else (),
                o.source.rpartition(":")[2],
            )
            for o in observed
        ),
        sorted((s.lineno, s.reason, s.kind, s.count) for s in items if isinstance(s, Skipped)),
    )


def _clients(items: list[Item]) -> dict[tuple[str, int, str], set[str]]:
    return {(o.host, o.port, o.outcome): set(o.clients) for o in items if isinstance(o, Observation)}


def test_big_gzip_log_in_two_processes_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Destinations, counts, first/last times, sources and skipped lines with their numbers: as one process.

    Clients are a sample: in two threads the one-process sample (the counts are folded in C as one count makes
    them); in two processes those of each request kind's first requests in each part, a superset of it, the
    same as a plain file's read when cut at the same place.
    """
    data = _log(12000)
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(data))
    one, one_lines = _read(packed)
    calls = _two_processes(monkeypatch)
    two, two_lines = _read(packed)
    assert calls == [(len(data), True)]  # cut in decompressed bytes, and the child did its part
    assert one_lines == two_lines == 12000
    assert _summary(two, clients=False) == _summary(one, clients=False)
    sample = _clients(one)
    assert all(sample[key] <= seen for key, seen in _clients(two).items())
    if squid_count._Counter is not None:
        assert _clients(two) == sample
    skipped = [s for s in two if isinstance(s, Skipped)]
    assert sorted(s.lineno for s in skipped if "NUL" in s.reason) == [
        i + 1 for i in range(12000) if i % 1409 == 9 and i % 997 != 5
    ]
    assert {s.lineno for s in skipped if "fewer than 7" in s.reason} == {
        i + 1 for i in range(12000) if i % 997 == 5
    }
    assert sorted(s.lineno for s in skipped if "longer than" in s.reason) == [2904, 8762]
    plain = tmp_path / "access.log"
    plain.write_bytes(data)
    monkeypatch.setattr(squid_native, "CHILD_SHARE", squid_native.GZIP_CHILD_SHARE)
    assert _summary(_read(plain)[0]) == _summary(two)  # cut at the same place: clients too


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.55, 0.8])
def test_truncated_gzip_log_in_two_processes_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: float
) -> None:
    """Cut in the first part, near the split or in the second: the same lines and the same one problem.

    A cut file's last bytes are no trailer; the size is given here as the whole log's, so that two processes read it.
    """
    data = _log(12000)
    packed = gzip.compress(data)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(packed[: int(len(packed) * cut)])
    one, one_lines = _read(path)
    calls = _two_processes(monkeypatch)
    monkeypatch.setattr(gzip_range, "estimated_size", lambda _: len(data))
    two, two_lines = _read(path)
    assert calls and all(done for _, done in calls)
    assert two_lines == one_lines < 12000
    assert _summary(two, clients=False) == _summary(one, clients=False)
    (damage,) = [p for p in two if isinstance(p, Skipped) and "truncated or damaged gzip" in p.reason]
    assert damage.lineno == one_lines + 1 and f"the {one_lines} lines before it" in damage.reason


def test_multi_member_gzip_log_in_two_processes_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two members (a rotated log appended to): the trailer gives the last member's size, the cut falls in the
    first member, and still every line is read once, as one process reads them."""
    data = _log(12000)
    packed = tmp_path / "access.log.gz"
    cut = data.index(b"\n", len(data) // 3) + 1
    packed.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))
    one, one_lines = _read(packed)
    calls = _two_processes(monkeypatch)
    two, two_lines = _read(packed)
    assert calls == [(len(data) - cut, True)]
    assert one_lines == two_lines == 12000
    assert _summary(two, clients=False) == _summary(one, clients=False)


def test_a_failing_child_after_the_stream_let_go_reads_the_whole_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the child fails once the gzip stream stopped its thread, this process reads the file whole."""
    if squid_count._Counter is not None:
        pytest.skip("with the C counter the parts are counted in threads, not a child (see the test below)")
    data = _log(3000)
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(data))
    one, one_lines = _read(packed)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    original = squid_native._native_part

    def failing_child(*args: Any, **kwargs: Any) -> Any:
        if args[3] > 0:  # start: the child's part
            raise RuntimeError("child fails")
        return original(*args, **kwargs)

    monkeypatch.setattr(squid_native, "_native_part", failing_child)
    two, two_lines = _read(packed)
    assert two_lines == one_lines == 3000
    assert _summary(two) == _summary(one)  # one process: the same sample of clients too


def test_an_error_in_the_second_thread_comes_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part counted in the other thread that cannot be read raises here, as reading it in this one would."""
    if squid_count._Counter is None:
        pytest.skip("without the C counter the parts are read by two processes (see the test above)")
    path = tmp_path / "access.log"
    path.write_bytes(_log(3000))
    calls = _two_processes(monkeypatch)
    original = reader.read_range

    def failing(path: str, origin: str, start: int, *args: Any, **kwargs: Any) -> Any:
        if start > 0:
            raise OSError("the disk went away")
        return original(path, origin, start, *args, **kwargs)

    monkeypatch.setattr(gzip_range, "read_range", failing)  # what range_reader hands over for a plain file
    with pytest.raises(OSError, match="the disk went away"):
        _read(path)
    assert calls


def test_an_interrupt_stops_the_second_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while this thread reads its part: the other thread stops at its next block, nothing is left running."""
    if squid_count._Counter is None:
        pytest.skip("without the C counter the parts are read by two processes")
    import threading

    path = tmp_path / "access.log"
    path.write_bytes(_log(3000))
    _two_processes(monkeypatch)
    original = reader.read_range

    def interrupted(path: str, origin: str, start: int, *args: Any, **kwargs: Any) -> Any:
        for block in original(path, origin, start, *args, **kwargs):
            if start == 0:
                raise KeyboardInterrupt
            yield block

    monkeypatch.setattr(gzip_range, "read_range", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _read(path)
    assert not [t for t in threading.enumerate() if t.name.startswith("egressmap: ")]
