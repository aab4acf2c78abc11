"""Log prefixes are stripped before deciding what a line's content is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.sources.text_prefix import content, content_start, is_comment


def test_each_prefix_kind_is_stripped() -> None:
    """BuildKit, awslogs, timestamps, syslog, levels, cloud-init, AWS CLI and Image Builder prefixes go."""
    cases = {
        "#6 0.858 https://a.example.com/repodata/repomd.xml": "https://a.example.com/repodata/repomd.xml",
        "#6 [2/3] RUN dnf -y install jq": "[2/3] RUN dnf -y install jq",
        "/aws/imagebuilder/Img-u22 3.9.0/1 Stdout: Get:1 http://a.example.com/ubuntu jammy InRelease": (
            "Get:1 http://a.example.com/ubuntu jammy InRelease"
        ),
        "2024-05-14 08:12:40,118 [DEBUG] CloudFormation client": "CloudFormation client",
        "2024-05-14T08:12:40.118Z ##[group]Run make": "##[group]Run make",
        "[2024-05-14T08:12:43+00:00] INFO: remote_file[/x] created": "remote_file[/x] created",
        "Dec  7 06:49:04 ip-10-0-0-5 cloud-init[1234]: Get:1 http://x": "Get:1 http://x",
        "2021-12-14 19:50:25,626 - util.py[DEBUG]: Writing to /var/log": "Writing to /var/log",
        "2024-09-25 04:48:49,925 - MainThread - botocore.regions - DEBUG - Endpoint": "Endpoint",
        "==> default: Running provisioner": "Running provisioner",
        "web_1  | GET /health": "GET /health",
        "2026-12-07T06:49:04.123456789Z stdout F # https://a.example.com/x": "# https://a.example.com/x",
        "2026-12-07T06:49:04+0000 ip-10-0-0-5 cloud-init[812]: Get:1 http://x": "Get:1 http://x",
        "plain content": "plain content",
    }
    for line, rest in cases.items():
        assert content(line) == rest, line


def test_comments_are_judged_after_the_prefix() -> None:
    """'#' or '//' after the prefix is a comment; BuildKit's own '#6' is not."""
    assert not is_comment("#6 0.858 https://a.example.com/repodata/repomd.xml")
    assert is_comment("#6 0.858 # https://a.example.com/x")
    assert is_comment("/aws/imagebuilder/Img 3.9.0/1 Stdout: // https://a.example.com/x")
    assert is_comment("# plain comment")
    assert not is_comment("Get:1 http://a.example.com/ubuntu jammy InRelease")


def test_a_url_is_never_taken_for_a_prefix() -> None:
    """A '/'-rooted first token followed by a URL is not an awslogs group and stream."""
    line = "/usr/bin/curl https://a.example.com/x.tar.gz"
    assert content_start(line) == 0


@given(st.text(max_size=200))
def test_content_start_is_within_the_line(line: str) -> None:
    """Any text gives an offset inside the line."""
    assert 0 <= content_start(line) <= len(line)
