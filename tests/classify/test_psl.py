from __future__ import annotations

import pytest

from egressmap.classify import psl


@pytest.mark.parametrize(
    ("host", "suffix", "domain"),
    [
        ("files.pythonhosted.org", "org", "pythonhosted.org"),
        ("www.example.co.uk", "co.uk", "example.co.uk"),
        ("bucket.s3.amazonaws.com", "com", "amazonaws.com"),
        ("x.s3.cn-north-1.amazonaws.com.cn", "com.cn", "amazonaws.com.cn"),
        ("co.uk", "co.uk", None),
        ("ip-10-0-0-1.ec2.internal", None, None),
        ("xn--mnchen-3ya.de", "de", "xn--mnchen-3ya.de"),
    ],
)
def test_icann_suffix_and_registrable_domain(host: str, suffix: str | None, domain: str | None) -> None:
    """The ICANN section alone gives the public suffix and registrable domain."""
    assert (psl.public_suffix(host), psl.registrable_domain(host)) == (suffix, domain)


@pytest.mark.parametrize(
    "host",
    [
        "d1uj6qtbmh3dt5.cloudfront.net",
        "s3.amazonaws.com",
        "bucket.s3.us-east-1.amazonaws.com",
        "acct.blob.core.windows.net",
        "raw.githubusercontent.com",
        "someone.github.io",
        "app.herokuapp.com",
    ],
)
def test_shared_hosting(host: str) -> None:
    """Hosts under a private-section suffix are shared hosting."""
    assert psl.is_shared_hosting(host) is True


@pytest.mark.parametrize(
    "host", ["pypi.org", "github.com", "ftp.gnu.org", "route53.amazonaws.com", "foo.internal"]
)
def test_not_shared_hosting(host: str) -> None:
    """Ordinary registrable domains are not shared hosting."""
    assert psl.is_shared_hosting(host) is False


def test_private_suffix() -> None:
    """The private section sees operators' suffixes."""
    assert psl.private_suffix("acct.blob.core.windows.net") == "blob.core.windows.net"
    assert psl.private_suffix("pypi.org") == "org"
