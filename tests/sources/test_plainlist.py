"""Plain lists carry wildcards: ``*.x.com[:port]`` and Squid's ``.x.com``, refused over a public suffix."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.aggregate import aggregate
from egressmap.exporters import ExportOptions
from egressmap.exporters.listing import ListExport
from egressmap.model import Observation, Skipped
from egressmap.policy import build_policy
from egressmap.sources import build_sources, choose
from egressmap.sources.plainlist import PlainList, WildcardError, read_wildcard

SQUID_DSTDOMAIN = [
    '# /etc/squid/allowed_domains.txt (acl allowed dstdomain "/etc/squid/allowed_domains.txt")',
    ".ubuntu.com",
    ".pythonhosted.org",
    "pypi.org",
    ".github.com",
]


def test_wildcard_lines_become_wildcard_observations() -> None:
    """``*.x.com:port`` keeps its port and form; ``.x.com`` keeps Squid's form; both are referenced."""
    items = list(PlainList().read(["*.archive.ubuntu.com:80", ".download.nvidia.com", "*.EXAMPLE.org."], "a"))
    assert [(o.host, o.port, o.tier, o.source) for o in items if isinstance(o, Observation)] == [
        ("*.archive.ubuntu.com", 80, "referenced", "a:1"),
        (".download.nvidia.com", 443, "referenced", "a:2"),
        ("*.example.org", 443, "referenced", "a:3"),
    ]
    assert all("as a wildcard" in o.reason for o in items if isinstance(o, Observation))


@pytest.mark.parametrize(
    ("token", "words", "kind"),
    [
        ("*.com", "com is a public suffix", "malformed"),
        (".co.uk:443", "co.uk is a public suffix", "malformed"),
        ("*.10.0.0.1:443", "IP address", "malformed"),
        ("**.example.com", "only a leading", "malformed"),
        ("*example.com", "only a leading", "malformed"),
        ("..example.com", "only a leading", "malformed"),
        ("*.", "only a leading", "malformed"),
        ("*.example.com:99999", "port", "malformed"),
        ("*.${DOMAIN}", "placeholder", "dropped"),
        ("*.localhost", "localhost", "dropped"),
    ],
)
def test_bad_wildcards_are_reported_with_the_reason(token: str, words: str, kind: str) -> None:
    """A wildcard that cannot be one is a skipped line with why; the rest of the list is still read."""
    items = list(PlainList().read(["pypi.org", token, "github.com:443"], "allow.txt"))
    (skipped,) = [s for s in items if isinstance(s, Skipped)]
    assert (skipped.lineno, skipped.kind) == (2, kind) and words in skipped.reason
    assert len([o for o in items if isinstance(o, Observation)]) == 2
    with pytest.raises(WildcardError):
        read_wildcard(token)


def test_read_wildcard_gives_suffix_port_and_match() -> None:
    """The reader verify shares: suffix normalised, port default 443, the match kind of each form."""
    assert read_wildcard("*.Download.NVIDIA.com:8443") == ("download.nvidia.com", 8443, "subdomains")
    assert read_wildcard(".cloudfront.net") == ("cloudfront.net", 443, "apex-and-subdomains")


def test_a_squid_dstdomain_file_is_sniffed_as_a_list() -> None:
    """A Squid dstdomain file (``.x.com`` lines) is picked as a list and every line kept."""
    assert choose(SQUID_DSTDOMAIN, build_sources()).name == "list"
    hosts = [o.host for o in PlainList().read(SQUID_DSTDOMAIN, "d") if isinstance(o, Observation)]
    assert hosts == [".ubuntu.com", ".pythonhosted.org", "pypi.org", ".github.com"]


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_SUFFIX = st.sampled_from(["example.org", "mirror.example.net", "pkgs.example.com"])
_PORT = st.sampled_from([80, 443, 8443])
_LINE = st.one_of(
    st.builds(lambda label, suffix, port: f"{label}.{suffix}:{port}", _LABEL, _SUFFIX, _PORT),
    st.builds(lambda suffix, port: f"{suffix}:{port}", _SUFFIX, _PORT),
    st.builds(lambda label, suffix, port: f"*.{label}.{suffix}:{port}", _LABEL, _SUFFIX, _PORT),
    st.builds(lambda suffix, port: f"*.{suffix}:{port}", _SUFFIX, _PORT),
    st.builds(lambda suffix, port: f".{suffix}:{port}", _SUFFIX, _PORT),
)


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(_LINE, min_size=1, max_size=12))
def test_converting_a_list_keeps_every_line_and_adds_none(lines: list[str]) -> None:
    """Any list of hosts and wildcards, built and exported as a list, gives back each line (``.x:p`` as
    ``*.x:p`` and ``x:p``) and nothing a line did not allow."""
    items = list(PlainList().read(lines, "allow.txt"))
    assert all(isinstance(i, Observation) for i in items)
    policy = build_policy(aggregate(i for i in items if isinstance(i, Observation)).values())
    out = ListExport().render(policy, ExportOptions()).text
    got = {line for line in out.splitlines() if not line.startswith("#")}
    wanted = set()
    for line in lines:
        wanted |= {"*" + line, line[1:]} if line.startswith(".") else {line}
    assert got == wanted
