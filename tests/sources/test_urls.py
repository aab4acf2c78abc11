from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.sources.urls import FoundUrl, Rejected, find_urls


def _found(line: str) -> list[tuple[str, int, str]]:
    return [(u.host, u.port, u.tier) for u in find_urls(line) if isinstance(u, FoundUrl)]


def test_quotes_brackets_punctuation_and_key_value() -> None:
    """URLs are cut cleanly at quotes, brackets and trailing punctuation, and found after key=."""
    line = (
        '(see "https://a.example.com/x.tar.gz"), [https://b.example.com/y.rpm]. '
        "baseurl=https://c.example.com/repo/ <https://d.example.com/z.deb>, https://e.example.com/w.zip;"
    )
    assert {h for h, _, _ in _found(line)} == {
        "a.example.com",
        "b.example.com",
        "c.example.com",
        "d.example.com",
        "e.example.com",
    }


def test_credentials_are_stripped_everywhere() -> None:
    """user:pass@ never reaches the host, the URL sample or a rejection message."""
    items = list(
        find_urls(
            "pip install --index-url https://bob:hunter2@repo.example.com:8443/simple/ x "
            "and https://alice:pw@${HOST}/x"
        )
    )
    text = repr(items)
    assert "hunter2" not in text and "bob" not in text and "alice" not in text and "pw@" not in text
    found = [u for u in items if isinstance(u, FoundUrl)]
    assert [(u.host, u.port, u.url) for u in found] == [
        ("repo.example.com", 8443, "https://repo.example.com:8443/simple/")
    ]


def test_placeholders_localhost_and_imds_are_rejected_not_found() -> None:
    """Templates, localhost and link-local addresses are dropped with a reason."""
    items = list(
        find_urls(
            "https://developer.download.nvidia._domain_/x https://localhost:${port} "
            "http://169.254.169.254/latest/meta-data %{HTTP_HOST} http://%{HTTP_HOST}/x"
        )
    )
    assert all(isinstance(i, Rejected) and i.kind == "dropped" for i in items)
    assert len(items) == 4


def test_hostile_host_is_malformed() -> None:
    """A URL whose host carries injection text is rejected as malformed."""
    (item,) = list(find_urls('curl https://evil.com";pass/x'))
    assert isinstance(item, FoundUrl) and item.host == "evil.com"  # the quote ends the URL
    (item2,) = list(find_urls("curl https://evil.com%0d%0aX/x"))
    assert isinstance(item2, Rejected) and item2.kind in ("malformed", "dropped")


def test_tiers_follow_the_line_and_the_path() -> None:
    """Verbs and download paths make 'referenced'; doc hosts, doc paths, comments and bare sites make docs."""
    cases = {
        "Get:1 http://security.ubuntu.com/ubuntu jammy InRelease": "referenced",
        "https://ftp.gnu.org/gnu/gcc/gcc-9.3.0/gcc-9.3.0.tar.gz": "referenced",
        "https://mirrors.fedoraproject.org/metalink?repo=epel-8&arch=$basearch": "referenced",
        "https://github.com/pypa/pip/issues/8559": "documentation",
        "https://git.launchpad.net/ubuntu/+source/supervisor/tree/debian/supervisor.service": "documentation",
        "# https://github.com/x/y/archive/v1.tar.gz": "documentation",
        "http://supervisord.org": "documentation",
        "https://www.chef.io/patents": "documentation",
        "https://cloudinit.readthedocs.io/en/latest/topics/cli.html#clean": "documentation",
        "https://d1uj6qtbmh3dt5.cloudfront.net/NICE-GPG-KEY": "referenced",
    }
    for line, tier in cases.items():
        assert [t for _, _, t in _found(line)] == [tier], line


@given(st.text(max_size=300))
def test_find_urls_never_raises(text: str) -> None:
    """Arbitrary text gives judged URLs or rejections, never an exception."""
    for item in find_urls("x https://" + text):
        assert isinstance(item, FoundUrl | Rejected)
