"""Evidence shaped like the field, for bench/evidence: a Route 53 Resolver query log and a packet capture.

Both draw their names from the same population: a hot head of package, registry and AWS service names that
take most lookups, and a long tail of CDN edges, buckets, per-instance and tenant names (12,000 per million
Resolver lines). The Resolver log adds what a VPC's resolver really answers: internal ``ec2.internal`` names,
reverse lookups, NXDOMAIN for search-domain guesses, DNS Firewall BLOCK and ALERT records, resolver-endpoint
clients. The capture holds DNS over UDP, TLS connections whose ClientHello carries the SNI (some split over two
TCP segments), plain HTTP with a ``Host``, and bulk data after each handshake, from many clients.
"""

from __future__ import annotations

import random
from pathlib import Path

REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
)
HOT = [
    "pypi.org",
    "files.pythonhosted.org",
    "github.com",
    "objects.githubusercontent.com",
    "security.ubuntu.com",
    "archive.ubuntu.com",
    "api.snapcraft.io",
    "registry.npmjs.org",
    "repo.maven.apache.org",
    "proxy.golang.org",
    "index.docker.io",
    "production.cloudflare.docker.com",
    "download.docker.com",
    "dl.fedoraproject.org",
    "mirrors.fedoraproject.org",
    "cdn.redhat.com",
    "time.aws.com",
    "ntp.ubuntu.com",
] + [
    f"{svc}.{region}.amazonaws.com"
    for svc in (
        "ec2",
        "logs",
        "ssm",
        "ssmmessages",
        "ec2messages",
        "sts",
        "s3",
        "monitoring",
        "cloudformation",
        "dynamodb",
        "sqs",
        "secretsmanager",
    )
    for region in REGIONS[:4]
]
BLOCKED = ["pastebin.com", "transfer.sh", "xmrpool.eu", "ngrok.io", "anonfiles.com"]
"""Names a DNS Firewall rule group blocks (a few clients keep asking)."""


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("0123456789abcdef", k=n))


def tail_name(rng: random.Random, i: int) -> str:
    """A long-tail name as real traffic has them: CDN edges, buckets, per-instance and tenant names."""
    kind = i % 10
    if kind in (0, 1):
        return f"d{_alnum(rng, 13)}.cloudfront.net"
    if kind == 2:
        return f"build-artifacts-{_hex(rng, 8)}.s3.{rng.choice(REGIONS)}.amazonaws.com"
    if kind == 3:
        return f"parallelcluster-{_hex(rng, 16)}-v1-do-not-delete.s3.amazonaws.com"
    if kind == 4:
        a, b, c = rng.randrange(3, 99), rng.randrange(256), rng.randrange(256)
        return f"ec2-54-{a}-{b}-{c}.{rng.choice(REGIONS)}.compute.amazonaws.com"
    if kind == 5:
        return f"e{rng.randrange(1000, 99999)}.a.akamaiedge.net"
    if kind == 6:
        return f"{_alnum(rng, 10)}.blob.core.windows.net"
    if kind == 7:
        return f"tenant-{_alnum(rng, 8)}.atlassian.net"
    if kind == 8:
        return f"mirror{rng.randrange(1, 400)}.{_alnum(rng, 6)}.example-mirrors.org"
    return f"{_alnum(rng, 12)}.execute-api.{rng.choice(REGIONS)}.amazonaws.com"


def _address(rng: random.Random) -> str:
    return f"{rng.choice((3, 13, 18, 34, 52, 54, 104, 151, 185))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


class Names:
    """The name population: each name's A answers (and CNAME target for CDN names), drawn Zipf-like."""

    def __init__(self, rng: random.Random, tail: int) -> None:
        self.rng = rng
        self.hot = HOT
        names: set[str] = set()
        self.tail: list[str] = []
        i = 0
        while len(self.tail) < tail:
            name = tail_name(rng, i)
            i += 1
            if name not in names:
                names.add(name)
                self.tail.append(name)
        self.addresses = {
            name: [_address(rng) for _ in range(rng.choice((1, 1, 2, 4)))]
            for name in self.hot + self.tail + BLOCKED
        }
        self.cname = {name: f"{name.split('.')[0]}.edgekey.net" for name in self.hot[:8] + self.tail[:2000:3]}
        self.hot_weights = [1 / (i + 1) for i in range(len(self.hot))]

    def draw(self, k: int, tail_share: float) -> list[str]:
        """``k`` names: every tail name at least once when ``k`` allows, the rest skewed to the first ones."""
        rng = self.rng
        n_tail = int(k * tail_share)
        tail = [self.tail[i % len(self.tail)] for i in range(min(n_tail, len(self.tail)))]
        tail += [self.tail[int(len(self.tail) * rng.random() ** 3)] for _ in range(n_tail - len(tail))]
        picks = rng.choices(self.hot, weights=self.hot_weights, k=k - n_tail) + tail
        rng.shuffle(picks)
        return picks


RECORD = (
    '{{"version":"1.100000","account_id":"444455556666","region":"{region}","vpc_id":"{vpc}",'
    '"query_timestamp":"{ts}","query_name":"{name}.","query_type":"{qtype}","query_class":"IN",'
    '"rcode":"{rcode}","answers":[{answers}],"srcaddr":"{src}","srcport":"{sport}","transport":"UDP",'
    '"srcids":{{{srcids}}}{firewall}}}\n'
)
ANSWER = '{{"Rdata":"{rdata}","Type":"{type}","Class":"IN"}}'


def write_resolver_log(path: Path, lines: int, seed: int = 15) -> None:
    """A Resolver query log of ``lines`` records (S3/Firehose delivery: one JSON object per line)."""
    rng = random.Random(seed)
    names = Names(rng, max(1, lines * 12 // 1000))
    n_clients = 240 * max(1, lines // 1_000_000)
    clients = [
        (f"10.{40 + i // 250}.{(i * 7) % 250}.{i % 250 + 1}", f"i-0{_hex(rng, 16)}") for i in range(n_clients)
    ]
    client_weights = [1 / (i + 1) ** 0.7 for i in range(n_clients)]
    picks = names.draw(lines, 0.3)
    who = rng.choices(range(n_clients), weights=client_weights, k=lines)
    ts = 1_793_692_800  # 2026-11-03T00:00:00Z
    chunk: list[str] = []
    with path.open("w", encoding="ascii") as out:
        for name, c in zip(picks, who, strict=True):
            ts += rng.random() < 0.02  # about 50 questions a second
            srcaddr, instance = clients[c]
            roll = rng.random()
            qtype, rcode, answers, firewall = "A", "NOERROR", "", ""
            if roll < 0.03:  # search-domain guesses and typos: NXDOMAIN
                name = f"{name}.ec2.internal" if roll < 0.02 else f"{_alnum(rng, 8)}.{name}"
                rcode = "NXDOMAIN"
            elif roll < 0.035:
                name, rcode = rng.choice(BLOCKED), "NXDOMAIN"
                firewall = (
                    ',"firewall_rule_group_id":"rslvr-frg-0a1b2c3d4e5f60718","firewall_rule_action":"BLOCK",'
                    '"firewall_domain_list_id":"rslvr-fdl-0123456789abcdef0"'
                )
            elif roll < 0.06:  # the instances' own names, and reverse lookups (dropped, not destinations)
                qtype = "PTR" if roll < 0.045 else "A"
                last = srcaddr.split(".")
                name = (
                    f"{last[3]}.{last[2]}.{last[1]}.{last[0]}.in-addr.arpa"
                    if qtype == "PTR"
                    else f"ip-{srcaddr.replace('.', '-')}.ec2.internal"
                )
                answers = ANSWER.format(
                    rdata=srcaddr if qtype == "A" else f"ip-{srcaddr.replace('.', '-')}.ec2.internal.",
                    type=qtype,
                )
            else:
                if roll < 0.062:
                    firewall = (
                        ',"firewall_rule_group_id":"rslvr-frg-0fedcba987654321f","firewall_rule_action":"ALERT",'
                        '"firewall_domain_list_id":"rslvr-fdl-0fedcba9876543210"'
                    )
                six = roll > 0.8
                qtype = "AAAA" if six else "A"
                parts = []
                cname = names.cname.get(name)
                if cname:
                    parts.append(ANSWER.format(rdata=cname + ".", type="CNAME"))
                for address in names.addresses.get(name, ()):
                    rdata = f"2600:1f18:{address.replace('.', ':')}::1" if six else address
                    parts.append(ANSWER.format(rdata=rdata, type=qtype))
                answers = ",".join(parts)
            srcids = (
                f'"instance":"{instance}"' if c % 40 else '"resolver_endpoint":"rslvr-in-0123456789abcdef0"'
            )
            chunk.append(
                RECORD.format(
                    region="us-east-1",
                    vpc="vpc-0b7d2e4f6a8c13579",
                    ts=_iso(ts),
                    name=name,
                    qtype=qtype,
                    rcode=rcode,
                    answers=answers,
                    src=srcaddr,
                    sport=rng.randrange(1024, 65536),
                    srcids=srcids,
                    firewall=firewall,
                )
            )
            if len(chunk) >= 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def _iso(ts: int) -> str:
    day, rest = divmod(ts - 1_793_692_800, 86400)
    hours, rest = divmod(rest, 3600)
    return f"2026-11-{3 + day:02d}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
