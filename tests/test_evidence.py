"""Summaries merge to the same policy as one run: any split of the inputs, any order, byte ranges of a file."""

from __future__ import annotations

import gzip
import io
import json
import random
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.cli import main
from egressmap.evidence import Evidence, gather, join_ranges, merge
from egressmap.sources.vpc_flow import DEFAULT_FIELDS
from egressmap.summary import SCHEMA, SummaryError, is_summary, read_summary, write_summary

from .sources.test_route53_resolver import record

DATA = Path(__file__).parent / "data" / "sources"
T0 = 1793697261.0
CLIENTS = [f"10.40.{i // 50}.{i % 50 + 10}" for i in range(120)]
HOSTS = (
    [f"pkg{i}.example-mirror.net" for i in range(60)]
    + [f"bucket-{i}.s3.us-east-1.amazonaws.com" for i in range(20)]
    + ["pypi.org", "files.pythonhosted.org", "github.com", "objects.githubusercontent.com",
       "ec2.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com", "deb.debian.org"]
)  # fmt: skip


def _squid(rng: random.Random, lines: int) -> str:
    out = []
    for n in range(lines):
        host = rng.choice(HOSTS[-7:]) if rng.random() < 0.6 else rng.choice(HOSTS)
        client = rng.choice(CLIENTS[:80])
        code = rng.choice(["TCP_TUNNEL/200"] * 8 + ["TCP_DENIED/403", "TCP_MISS/503"])
        if rng.random() < 0.7:
            req = f"CONNECT {host}:443 - HIER_DIRECT/{host} -"
        else:
            req = f"GET http://{host}/dists/pool/{n}.deb - HIER_DIRECT/{host} application/octet-stream"
        out.append(
            f"{T0 + n * 3:.3f}    {rng.randint(1, 900):>5} {client} {code} {rng.randint(200, 90000)} {req}"
        )
    return "\n".join(out) + "\n"


AROUND = ["ssmmessages.us-east-1.amazonaws.com", "metrics.vendor-telemetry.com"]
"""Names only the DNS logs see: they went around the proxy."""


def _resolver(rng: random.Random, lines: int) -> str:
    out = []
    for n in range(lines):
        i = rng.randrange(len(HOSTS) + len(AROUND))
        address = f"198.18.{i // 200}.{i % 200 + 1}"
        t = T0 + n * 5
        when = (
            f"2026-11-03T{9 + int(t - T0) // 3600:02d}:{int(t - T0) % 3600 // 60:02d}:{int(t - T0) % 60:02d}Z"
        )
        rcode = "NXDOMAIN" if rng.random() < 0.05 else "NOERROR"
        answers = [] if rcode == "NXDOMAIN" else [{"Rdata": address, "Type": "A", "Class": "IN"}]
        out.append(
            record(
                (HOSTS + AROUND)[i] + ".",
                query_timestamp=when,
                srcaddr=rng.choice(CLIENTS),
                rcode=rcode,
                answers=answers,
            )
        )
    return "\n".join(out) + "\n"


def _flows(rng: random.Random, lines: int) -> str:
    out = [" ".join(DEFAULT_FIELDS)]
    for n in range(lines):
        i = rng.randrange(len(HOSTS) + 10)
        address = f"198.18.{i // 200}.{i % 200 + 1}"
        start = int(T0) + n * 7
        action = "REJECT" if rng.random() < 0.1 else "ACCEPT"
        out.append(f"2 444455556666 eni-0a1b2c3d4e5f60718 {rng.choice(CLIENTS)} {address} {40000 + n} 443 6 "
                   f"{rng.randint(1, 90)} {rng.randint(60, 90000)} {start} {start + 60} {action} OK")  # fmt: skip
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Logs of several kinds, shaped like the field, with the vendor-shaped fixtures of other tests."""
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("evidence")
    made = {"access.log": _squid(rng, 1500), "proxy2.log": _squid(rng, 300), "r53.log": _resolver(rng, 900),
            "flow.log": _flows(rng, 700)}  # fmt: skip
    for name, text in made.items():
        (root / name).write_text(text)
    with gzip.open(root / "r53-2.log.gz", "wt") as f:
        f.write(_resolver(rng, 200))
    fixtures = ["squid/combined-extended.log", "squid/frontier-common-extended.log", "text/apt-failing.log",
                "text/cfn-init.log", "zeek/dns.log", "zeek/conn.log"]  # fmt: skip
    return [str(root / n) for n in (*made, "r53-2.log.gz")] + [str(DATA / f) for f in fixtures]


def _build(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["build", "--to", "json", *args]) == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def whole(inputs: list[str]) -> str:
    return _build(*inputs)


def test_the_policy_does_not_depend_on_the_order_of_the_inputs(inputs: list[str], whole: str) -> None:
    assert _build(*reversed(inputs)) == whole
    entries = {e["pattern"]: e for e in json.loads(whole)["entries"]}
    assert any("named by a DNS answer" in r for e in entries.values() for r in e["reasons"])  # the join ran
    assert any(w.startswith("went around the proxy") for e in entries.values() for w in e["warnings"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_merged_summaries_build_the_same_policy(
    inputs: list[str], whole: str, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Any split of the inputs into summaries, merged in any order (in one step or in two), builds the same."""
    order = data.draw(st.permutations(inputs))
    groups = data.draw(st.integers(1, 4))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(order)), min_size=groups - 1, max_size=groups - 1)))
    parts = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    tmp = tmp_path_factory.mktemp("split")
    summaries = []
    for n, part in enumerate(parts):
        path = str(tmp / f"part{n}.sum")
        write_summary(gather(part), path)
        summaries.append(path)
    summaries = data.draw(st.permutations(summaries))
    if data.draw(st.booleans()) and len(summaries) > 2:  # merge two first, then the rest with that
        first = str(tmp / "first.sum")
        write_summary(merge(read_summary(p) for p in summaries[:2]), first)
        summaries = [first, *summaries[2:]]
    merged = str(tmp / "merged.sum")
    write_summary(merge(read_summary(p) for p in summaries), merged)
    assert _build(merged) == whole
    assert _build(*summaries) == whole  # summaries read as sources directly


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 200_000), min_size=1, max_size=5, unique=True))
def test_byte_ranges_of_a_file_join_to_the_whole(inputs: list[str], cuts: list[int]) -> None:
    """A plain file cut at any offsets (mid-line included), each range read apart, gives the file's evidence."""
    path = inputs[0]
    size = Path(path).stat().st_size
    bounds = [0, *sorted(c for c in cuts if c < size), size]
    ranges = [gather([path], byte_range=(a, b)) for a, b in zip(bounds, bounds[1:], strict=False)]
    joined, alone = join_ranges(ranges), gather([path])
    assert _state(joined) == _state(alone)
    (rep,), (one,) = joined.report.inputs, alone.report.inputs
    assert (rep.lines, rep.observations, rep.problem_counts, rep.problems) == (
        one.lines, one.observations, one.problem_counts, one.problems)  # fmt: skip


def _state(evidence: Evidence) -> dict[tuple[str, int], tuple[object, ...]]:
    """What a policy is made of, per destination (clients and URLs are samples: which ones may differ)."""
    out: dict[tuple[str, int], tuple[object, ...]] = {}
    for key in evidence.table:
        d = evidence.table[key]
        out[key] = (d.count, d.tier, d.outcomes, d.reasons, d.sources, d.schemes, d.first_seen, d.last_seen)
    return out


def test_a_summary_is_the_same_bytes_every_time(inputs: list[str], tmp_path: Path) -> None:
    write_summary(gather(inputs), str(tmp_path / "a.sum"))
    write_summary(gather(list(reversed(inputs))), str(tmp_path / "b.sum"))
    assert (tmp_path / "a.sum").read_bytes() == (tmp_path / "b.sum").read_bytes()
    assert is_summary(str(tmp_path / "a.sum")) and not is_summary(inputs[0]) and not is_summary(inputs[4])


# --- bad summaries: one clear line, exit 1 ------------------------------------------------------------------


def _summary_of(tmp_path: Path, inputs: list[str]) -> Path:
    path = tmp_path / "good.sum"
    write_summary(gather(inputs[:3]), str(path))
    return path


def _run(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


def test_a_summary_of_another_version(tmp_path: Path, inputs: list[str]) -> None:
    good = _summary_of(tmp_path, inputs)
    lines = gzip.decompress(good.read_bytes()).decode().splitlines()
    other = tmp_path / "other.sum"
    other.write_bytes(
        gzip.compress(("\n".join(['{"schema":"egressmap.summary/2"}', *lines[1:]]) + "\n").encode())
    )
    code, err = _run("build", str(other))
    assert code == 1 and "a summary of egressmap.summary/2; this egressmap reads egressmap.summary/1" in err
    assert "Traceback" not in err
    with pytest.raises(SummaryError, match="summary/2"):
        read_summary(str(other))
    assert SCHEMA == "egressmap.summary/1"


@pytest.mark.parametrize("cut", ["gzip", "lines", "record"])
def test_a_truncated_summary(tmp_path: Path, inputs: list[str], cut: str) -> None:
    good = _summary_of(tmp_path, inputs)
    raw = good.read_bytes()
    text = gzip.decompress(raw).decode()
    bad = tmp_path / "cut.sum"
    if cut == "gzip":  # a copy that stopped mid-way
        bad.write_bytes(raw[: len(raw) // 2])
    elif cut == "lines":  # whole lines, but no end record
        bad.write_bytes(gzip.compress("".join(text.splitlines(keepends=True)[:-3]).encode()))
    else:  # a record cut mid-way
        bad.write_bytes(gzip.compress(text[: len(text) // 2].encode()))
    code, err = _run("scan", str(bad))
    assert code == 1 and "cut short" in err and "Traceback" not in err
    code, err = _run("merge", str(bad), str(good), "-o", str(tmp_path / "m.sum"))
    assert code == 1 and "cut short" in err and not (tmp_path / "m.sum").exists()


def test_merge_refuses_what_is_not_a_summary(tmp_path: Path, inputs: list[str]) -> None:
    code, err = _run("merge", inputs[0], "-o", str(tmp_path / "m.sum"))
    assert code == 1 and "not an egressmap summary" in err and "scan --summary" in err


def test_scan_summary_and_merge_commands(tmp_path: Path, inputs: list[str], whole: str) -> None:
    a, b, m = (str(tmp_path / n) for n in ("a.sum", "b.sum", "m.sum"))
    assert _run("scan", "--summary", a, *inputs[:4])[0] == 0
    code, err = _run("scan", "--summary", b, *inputs[4:])
    assert code == 0 and f"-> {b}" in err
    code, err = _run("merge", a, b, "-o", m)
    assert code == 0 and "merged 2 summaries" in err
    assert _build(m) == whole
