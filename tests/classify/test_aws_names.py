"""Splitting AWS names with the parent's part kept: the plain answer, whatever came before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import aws_data, aws_names
from egressmap.classify.aws_names import split_aws
from egressmap.classify.s3 import S3Match, parse_s3


def _plain(host: str) -> tuple[str, list[str], S3Match | None] | None:
    """Suffix, labels and S3 form computed from scratch."""
    suffix = aws_data.match_suffix(host)
    if suffix is None:
        return None
    labels = [] if host == suffix else host[: -len(suffix) - 1].split(".")
    return suffix, labels, parse_s3(labels) if labels else None


_SAMPLES = [
    "amazonaws.com",
    "s3.amazonaws.com",
    "b.s3.amazonaws.com",
    "my.dotted.bucket.s3.amazonaws.com",
    "a.s3.b.s3.us-west-2.amazonaws.com",
    "b.s3.dualstack.eu-west-1.amazonaws.com",
    "b.s3-website-ap-southeast-2.amazonaws.com",
    "s3-external-1.amazonaws.com",
    "b.s3-accelerate.dualstack.amazonaws.com",
    "ap-111122223333.s3-accesspoint.us-east-1.amazonaws.com",
    "x.s3.cn-north-1.amazonaws.com.cn",
    "abc.execute-api.us-east-2.amazonaws.com",
    "ec2-54-1-2-3.us-west-2.compute.amazonaws.com",
    "ec2.us-east-1.api.aws",
    "s3.dualstack.us-east-1.api.aws",
    "repo.us-east-1.amazonaws.com",
    "pypi.org",
    "cloudfront.net",
    "localhost",
]


@pytest.mark.parametrize("host", _SAMPLES)
def test_samples_after_their_parents(host: str) -> None:
    """Each sample, after its parent was split (so the kept part is used), gives the plain answer."""
    split_aws(host.partition(".")[2] or host)
    split_aws(f"other.{host.partition('.')[2]}")
    assert split_aws(host) == _plain(host)


_LABELS = st.sampled_from(
    [
        "s3",
        "s3-fips",
        "s3-website",
        "s3-accelerate",
        "dualstack",
        "us-east-1",
        "s3-us-west-2",
        "b",
        "x-1",
        "vpce",
    ]
)
_SUFFIXES = ["amazonaws.com", "amazonaws.com.cn", "api.aws", "c2s.ic.gov", "example.org"]


@settings(max_examples=400)
@given(
    history=st.lists(st.tuples(st.lists(_LABELS, max_size=4), st.sampled_from(_SUFFIXES)), max_size=6),
    labels=st.lists(_LABELS, max_size=5),
    suffix=st.sampled_from(_SUFFIXES),
)
def test_random_names_after_any_history(
    history: list[tuple[list[str], str]], labels: list[str], suffix: str
) -> None:
    """Names made of S3-ish labels under AWS suffixes: the plain answer, whatever was split before."""
    for earlier, under in history:
        name = ".".join([*earlier, under])
        assert split_aws(name) == _plain(name)
    host = ".".join([*labels, suffix])
    assert split_aws(host) == _plain(host)


def test_answers_stay_right_once_nothing_more_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_PARENTS nothing more is kept, and answers stay the plain ones."""
    monkeypatch.setattr(aws_names, "MAX_PARENTS", 0)
    for host in _SAMPLES:
        assert split_aws(f"z.{host}") == _plain(f"z.{host}")
