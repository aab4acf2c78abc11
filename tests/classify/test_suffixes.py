"""The suffix walk: exactly the library's answers, whatever the order hosts come in."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import psl, suffixes
from egressmap.classify.suffixes import Suffixes, rule_names


def _library(host: str) -> tuple[str | None, str | None, str | None]:
    return psl.public_suffix(host), psl.registrable_domain(host), psl.private_suffix(host)


def _rule_hosts() -> list[str]:
    """Every rule's name, its parent, a child and a grandchild of it (wildcards and exceptions included)."""
    names: set[str] = set()
    for rule in psl.private_rules():
        bare = rule.lstrip("!")
        concrete = bare.replace("*", "w")
        for name in (bare.removeprefix("*."), concrete, f"x.{concrete}", f"a.b.{concrete}"):
            names.add(name)
            names.add(name.partition(".")[2] or name)
    return sorted(name for name in names if name.isascii())


def test_rules_are_read() -> None:
    """The library's rules are readable (else every host would take the slow path)."""
    names = rule_names()
    assert {"com", "co.uk", "ck", "www.ck", "s3.amazonaws.com", "compute.amazonaws.com"} <= names


@pytest.mark.parametrize("seed", [1, 2])
def test_every_rule_and_its_neighbours(seed: int) -> None:
    """Each rule name, its parent, child and grandchild: the library's answer, in two random orders."""
    hosts = _rule_hosts()
    random.Random(seed).shuffle(hosts)
    walk = Suffixes()
    wrong = [host for host in hosts if walk.of(host) != _library(host)]
    assert wrong == []


@pytest.mark.parametrize(
    ("host", "icann", "private"),
    [
        ("foo.ck", "foo.ck", "foo.ck"),  # *.ck
        ("a.foo.ck", "foo.ck", "foo.ck"),
        ("www.ck", "ck", "ck"),  # !www.ck
        ("a.www.ck", "ck", "ck"),
        ("ck", "ck", "ck"),  # the wildcard's implicit root
        ("city.kawasaki.jp", "kawasaki.jp", "kawasaki.jp"),  # !city.kawasaki.jp
        ("x.city.kawasaki.jp", "kawasaki.jp", "kawasaki.jp"),
        ("ward.kawasaki.jp", "ward.kawasaki.jp", "ward.kawasaki.jp"),  # *.kawasaki.jp
        ("i-1.us-east-1.compute.amazonaws.com", "com", "us-east-1.compute.amazonaws.com"),
        ("us-east-1.compute.amazonaws.com", "com", "us-east-1.compute.amazonaws.com"),
        ("compute.amazonaws.com", "com", "compute.amazonaws.com"),
        ("s3.amazonaws.com", "com", "s3.amazonaws.com"),
        ("co.uk", "co.uk", "co.uk"),
        ("host.internal", None, None),
        ("a.b.lan", None, None),
        ("localhost", None, None),
        ("com", "com", "com"),
        ("Example.COM", "com", "com"),
        ("example.com.", "com", "com"),
        ("a..example.com", None, None),
        ("www.xn--mnchen-3ya.de", "de", "de"),
    ],
)
def test_wildcards_exceptions_and_odd_names(host: str, icann: str | None, private: str | None) -> None:
    """Wildcard and exception rules, private wildcards, bare suffixes, unknown TLDs, unnormalised names."""
    walk = Suffixes()
    for warm in ("other.ck", "z.kawasaki.jp", "q.eu-west-1.compute.amazonaws.com", "x.lan", "b.example.com"):
        walk.of(warm)
    assert walk.of(host)[::2] == (icann, private)
    assert walk.of(host) == _library(host)


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
_BASES = [
    "ck",
    "www.ck",
    "kawasaki.jp",
    "city.kawasaki.jp",
    "compute.amazonaws.com",
    "us-east-1.compute.amazonaws.com",
    "s3.amazonaws.com",
    "cloudfront.net",
    "github.io",
    "co.uk",
    "com",
    "internal",
    "w",
    "",
]


@settings(max_examples=400)
@given(
    first=st.lists(st.tuples(st.lists(_LABEL, max_size=3), st.sampled_from(_BASES)), min_size=1, max_size=6),
    labels=st.lists(_LABEL, max_size=4),
    base=st.sampled_from(_BASES),
)
def test_random_names_after_random_history(
    first: list[tuple[list[str], str]], labels: list[str], base: str
) -> None:
    """Whatever hosts came before (filling the memo), a random name gets the library's answer."""
    walk = Suffixes()
    for head, under in first:
        earlier = ".".join([*head, under]).strip(".")
        if earlier:
            assert walk.of(earlier) == _library(earlier)
    host = ".".join([*labels, base]).strip(".")
    if host:
        assert walk.of(host) == _library(host)


def test_answers_stay_right_once_the_memo_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_KEPT nothing more is kept, and every answer is still the library's."""
    monkeypatch.setattr(suffixes, "MAX_KEPT", 3)
    walk = Suffixes()
    hosts = [
        f"h{n}.{base}" for n in range(3) for base in ("a.example.com", "ck", "b.kawasaki.jp", "x.internal")
    ]
    assert [walk.of(host) for host in hosts] == [_library(host) for host in hosts]
    assert len(walk._kept) == 3
