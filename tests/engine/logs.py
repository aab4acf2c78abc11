"""Logs of every kind the dask engine reads, made with the helpers of the source tests (seeded, so repeatable)."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path

from ..sources.test_network_firewall import alert, netflow, tls_log
from ..sources.test_suricata_eve import event
from ..test_evidence import AROUND, HOSTS, _flows, _resolver, _squid

DATA = Path(__file__).parent.parent / "data" / "sources"


def _nfw(rng: random.Random, lines: int) -> str:
    out = []
    for n in range(lines):
        host = rng.choice(HOSTS + AROUND)
        client = f"10.40.{n % 3}.{rng.randint(10, 60)}"
        kind = rng.randrange(3)
        if kind == 0:
            out.append(alert(rng.choice(["blocked", "allowed"]), src_ip=client, tls={"sni": host}))
        elif kind == 1:
            out.append(netflow(src_ip=client, dest_ip=f"198.18.0.{rng.randint(1, 200)}"))
        else:
            out.append(tls_log(host, src_ip=client))
    return "\n".join(out) + "\n"


def _eve(rng: random.Random, lines: int) -> str:
    out = []
    for n in range(lines):
        host = rng.choice(HOSTS + AROUND)
        src = f"10.41.{n % 4}.{rng.randint(10, 60)}"
        if rng.random() < 0.5:
            out.append(event("tls", src_ip=src, tls={"sni": host, "version": "TLS 1.3"}))
        else:
            out.append(event("dns", src_ip=src, dest_port=53, proto="UDP",
                             dns={"type": "query", "rrname": host, "rrtype": "A"}))  # fmt: skip
    return "\n".join(out) + "\n"


def _list(rng: random.Random, lines: int) -> str:
    return "".join(f"{rng.choice(HOSTS)}{rng.choice(['', ':443', ':8080'])}\n" for _ in range(lines))


def _repeated(name: str, times: int) -> Callable[[random.Random, int], str]:
    def make(rng: random.Random, lines: int) -> str:
        return (DATA / name).read_text() * times

    return make


MAKERS: dict[str, Callable[[random.Random, int], str]] = {
    "access.log": _squid,
    "common.log": _repeated("squid/frontier-common-extended.log", 60),
    "combined.log": _repeated("squid/combined-extended.log", 60),
    "reordered.log": _repeated("squid/reordered.log", 80),
    "r53.log": _resolver,
    "nfw.log": _nfw,
    "eve.json": _eve,
    "hosts.txt": _list,
    "flow.log": _flows,
    "apt.log": _repeated("text/apt-failing.log", 30),
}
"""File name -> what makes it (a generator over (rng, lines), or a fixture repeated)."""
BAD_LINES = ("access.log", "r53.log", "nfw.log", "hosts.txt")


def _with_bad_lines(text: str, rng: random.Random) -> str:
    """A malformed line every hundred or so: reports list them by line number across byte ranges too."""
    lines = text.splitlines(keepends=True)
    for at in sorted(rng.sample(range(1, len(lines)), max(1, len(lines) // 100)), reverse=True):
        lines.insert(at, f"%%garbage line {at} \x01 not a record\n")
    return "".join(lines)


def write_logs(root: Path, lines: int = 1200, names: tuple[str, ...] = tuple(MAKERS)) -> list[Path]:
    """The logs named, under ``root``, plus a gzip Resolver log and Zeek fixtures; the paths, sorted."""
    rng = random.Random(11)
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        text = MAKERS[name](rng, lines)
        (root / name).write_text(_with_bad_lines(text, rng) if name in BAD_LINES else text)
    with gzip.open(root / "r53-2.log.gz", "wt") as f:
        f.write(_resolver(rng, 300))
    for fixture in ("zeek/dns.log", "zeek/conn.log"):
        (root / fixture.replace("/", "-")).write_text((DATA / fixture).read_text())
    return sorted(root.iterdir())
