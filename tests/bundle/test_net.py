"""Where a URL is fetched from (mirrors, GitHub Enterprise) and one-line network errors."""

from __future__ import annotations

import pytest

from egressmap.bundle.net import Client, FetchError, Where


def test_a_mirror_keeps_the_path_under_another_base() -> None:
    """--mirror URL for every host, HOST=URL for one; the API base decides the web base."""
    where = Where.from_flags(["https://art.example/generic/", "nodejs.org=https://nx.example/node"], None)
    assert where.source("https://github.com/a/b/releases/download/1/x.whl") == (
        "https://art.example/generic/a/b/releases/download/1/x.whl"
    )
    assert (
        where.source("https://nodejs.org/dist/v20/SHASUMS256.txt?x=1")
        == "https://nx.example/node/dist/v20/SHASUMS256.txt?x=1"
    )
    assert Where().source("https://nodejs.org/a") == "https://nodejs.org/a"
    assert Where().github_web == "https://github.com"
    assert Where.from_flags([], "https://ghe.example/api/v3/").github_web == "https://ghe.example"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["ftp://x"], "give URL or HOST=URL"),
        (["a=https://x", "a=https://y"], "two mirrors for a"),
    ],
)
def test_bad_mirror_flags(flags: list[str], message: str) -> None:
    """A clear error for each."""
    with pytest.raises(FetchError, match=message):
        Where.from_flags(flags, None)


def test_a_missing_ca_file_is_named() -> None:
    """--ca-file that does not exist."""
    with pytest.raises(FetchError, match="--ca-file /nonexistent.pem: no such file"):
        Client("/nonexistent.pem")


def test_an_untrusted_certificate_suggests_ca_file(world_base: str) -> None:
    """The test server's certificate without its CA: a TLS error that names the host and --ca-file."""
    with pytest.raises(FetchError, match=r"TLS with 127\.0\.0\.1:\d+ failed .*--ca-file PEM"):
        Client().small(f"{world_base}/nothing")
