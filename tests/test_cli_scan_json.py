"""``scan --json`` gives the document it gave before its per-destination path was made faster.

The expected documents in ``tests/data/scan_json/`` were written by ``egressmap scan NAME --json`` as it was
before that work (with the standard library's JSON encoder), run in the log's folder; ``NAME.two`` with the
log read by two processes, whose client samples differ from one process's. When the samples kept per
destination (sources, clients, URLs) were made independent of the order of the inputs (summaries, issue 16),
the generated logs' documents were written again; only those three fields changed. Every way of
writing the document must give the same one: one process or two, with or without orjson. Without orjson the
text is the same byte for byte; with it each row's text is compact, so the rows are compared parsed, line by
line.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest

from egressmap import rowjson
from egressmap.cli import main
from egressmap.sources import parallel, squid_count, squid_native

DATA = Path(__file__).parent / "data"
EXPECTED = DATA / "scan_json"
SQUID_FIXTURES = sorted((DATA / "sources" / "squid").iterdir())

_CODES = [
    "TCP_TUNNEL/200",
    "TCP_MISS/200",
    "TCP_MISS/304",
    "TCP_REFRESH_MODIFIED/200",
    "TCP_DENIED/403",
    "TCP_DENIED/407",
    "TCP_MISS/503",
    "TCP_MISS_ABORTED/000",
    "NONE_NONE/000",
    "NONE/400",
    "TCP_TUNNEL/500",
]
_ODD_TARGETS = [
    "error:invalid-request",
    "cache_object://localhost/info",
    "-",
    "http://localhost/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest",
    "http://[2001:db8::7]:8080/a?b=c",
    "http://user:secret@mirror.example.net/ubuntu/dists/noble/InRelease?x=1",
    "http://Mirror.EXAMPLE.net./ubuntu/#frag",
    "http://bücher.example/katalog",
    "http://bad_host!.example.com/",
    "http://example.com:99999/",
    "httplib2:443",
    "10.2.3.4:22",
    "ftp://ftp.example.org/pub/file.tar.gz",
]


def generated_log(seed: int, lines: int) -> bytes:
    """A native Squid log with many destinations, clients, outcomes, methods and some odd lines."""
    rng = random.Random(seed)
    hosts = [f"d{rng.randrange(16**8):08x}.cloudfront.net" for _ in range(250)]
    hosts += [f"bucket-{i}.s3.us-east-{1 + i % 2}.amazonaws.com" for i in range(60)]
    hosts += ["pypi.org", "files.pythonhosted.org", "github.com", "archive.ubuntu.com", "203.0.113.9"]
    clients = [f"10.0.{i // 200}.{i % 200 + 1}" for i in range(120)] + ["-"]
    out = []
    ts = 1_795_282_820.0
    for n in range(lines):
        ts += rng.random() * 2
        code = rng.choice(_CODES)
        if n % 53 == 7:
            out.append(b"garbage line without fields")
            continue
        if n % 211 == 5:
            out.append(b"# a comment line")
            continue
        if rng.random() < 0.08:
            target = rng.choice(_ODD_TARGETS)
            method = "CONNECT" if ":" in target and "://" not in target else "GET"
        else:
            host = hosts[min(len(hosts) - 1, int(rng.paretovariate(0.7)) - 1)] if n % 3 else rng.choice(hosts)
            port = rng.choice([443, 443, 443, 80, 8443, 8080])
            if port in (443, 8443) and rng.random() < 0.8:
                method, target = "CONNECT", f"{host}:{port}"
            else:
                method = rng.choice(["GET", "GET", "HEAD", "POST"])
                where = host if port == 80 else f"{host}:{port}"
                target = f"http://{where}/pool/p{rng.randrange(50)}/f{rng.randrange(9)}.deb"
        line = (
            f"{ts:.3f} {rng.randrange(1, 9000):6d} {rng.choice(clients)} {code} {rng.randrange(0, 90000)} "
            f"{method} {target} - HIER_DIRECT/192.0.2.1 application/octet-stream"
        ).encode()
        if n % 487 == 11:
            line = line.replace(b"HIER_DIRECT", b"HIER_\xff\xfeDIRECT").replace(
                b" GET http://", b" GET http://\xe9"
            )
        out.append(line)
    return b"\n".join(out) + b"\n"


GENERATED = {"generated-1.log": (1, 4000), "generated-2.log": (2, 1500)}


def _expected(name: str) -> str:
    return gzip.decompress((EXPECTED / f"{name}.json.gz").read_bytes()).decode("ascii")


def _scan(
    capsys: pytest.CaptureFixture[str], folder: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.chdir(folder)
    main(["scan", name, "--json"])
    out: str = capsys.readouterr().out
    return out


def _same_rows(got: str, want: str) -> None:
    """The same document, one destination per line: each line parses to the same value as the expected one."""
    assert json.loads(got) == json.loads(want)
    got_lines, want_lines = got.split("\n"), want.split("\n")
    assert len(got_lines) == len(want_lines)
    for mine, theirs in zip(got_lines, want_lines, strict=True):
        if mine != theirs:
            assert json.loads(mine.strip().rstrip(",")) == json.loads(theirs.strip().rstrip(","))


@pytest.mark.parametrize("fixture", SQUID_FIXTURES, ids=lambda p: p.name)
def test_fixture_logs_give_the_same_document(
    fixture: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Squid fixture log: byte for byte without orjson, the same rows with it."""
    monkeypatch.setattr(rowjson, "_orjson_dumps", None)
    assert _scan(capsys, fixture.parent, fixture.name, monkeypatch) == _expected(fixture.name)
    monkeypatch.undo()
    _same_rows(_scan(capsys, fixture.parent, fixture.name, monkeypatch), _expected(fixture.name))


@pytest.mark.parametrize("name", sorted(GENERATED))
@pytest.mark.parametrize("parts", ["one", "threads", "processes"])
def test_generated_logs_give_the_same_document(
    name: str,
    parts: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Generated native logs with many destinations, read whole or in two parts, with and without orjson.

    Two parts are counted in two threads with the C counter: the document of one read. Without it, in two
    processes: each part's sample of clients, joined (the ``.two`` documents).
    """
    (tmp_path / name).write_bytes(generated_log(*GENERATED[name]))
    expected = _expected(f"{name}.two" if parts == "processes" else name)
    if parts != "one":
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
        monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    if parts == "processes":
        monkeypatch.setattr(squid_count, "_Counter", None)
    split: list[str] = []
    if parts == "threads":
        assert squid_count._Counter is not None, (
            "the C counter is built at install (gcc): pip install -e '.[test]'"
        )
        threads = squid_native._count_in_threads

        def in_threads(stream: Any, *args: Any) -> Any:
            split.append(stream.path)
            return threads(stream, *args)

        monkeypatch.setattr(squid_native, "_count_in_threads", in_threads)
    with monkeypatch.context() as patch:
        patch.setattr(rowjson, "_orjson_dumps", None)
        assert _scan(capsys, tmp_path, name, monkeypatch) == expected
    _same_rows(_scan(capsys, tmp_path, name, monkeypatch), expected)
    assert len(split) == (2 if parts == "threads" else 0)


def test_expected_documents_are_those_of_the_fixtures() -> None:
    """Every expected document belongs to a fixture or a generated log (none left behind)."""
    names = {p.name.removesuffix(".json.gz") for p in EXPECTED.iterdir()}
    assert names == {p.name for p in SQUID_FIXTURES} | set(GENERATED) | {f"{n}.two" for n in GENERATED}
