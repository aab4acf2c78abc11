"""Free-text logs as the field writes them: failures, connections and prefixes (samples in data/sources/text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.aggregate import aggregate
from egressmap.cli import main
from egressmap.model import Observation, Skipped
from egressmap.sources.freetext import FreeText

SAMPLES = Path(__file__).parents[1] / "data" / "sources" / "text"

Seen = dict[str, tuple[str, dict[str, int]]]


def _read(name: str) -> list[Observation]:
    lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines()
    return [o for o in FreeText().read(lines, name) if isinstance(o, Observation)]


def _seen(name: str) -> Seen:
    """host:port -> (tier, outcome counts), as aggregation sees the sample."""
    table = aggregate(_read(name))
    return {f"{h}:{p}": (d.tier, dict(sorted(d.outcomes.items()))) for (h, p), d in table.items()}


def _at(name: str, lineno: int) -> list[Observation]:
    return [o for o in _read(name) if o.source == f"{name}:{lineno}"]


def test_failing_apt_build_marks_blocked_mirrors_failed() -> None:
    """apt's Err:, the indented reason lines and W: Failed to fetch are failed connections to the mirrors."""
    assert _seen("apt-failing.log") == {
        "apt.corp.example.com:443": ("referenced", {"unknown": 1}),
        "archive.ubuntu.com:80": ("observed", {"failed": 5, "unknown": 1}),
        "security.ubuntu.com:80": ("observed", {"failed": 3}),
    }
    (resolving,) = _at("apt-failing.log", 5)  # "  Temporary failure resolving 'security.ubuntu.com'"
    assert (resolving.kind, resolving.port) == ("connect", 80)  # the port of the Err: line before it
    assert "apt" in resolving.reason and "Temporary failure resolving" in resolving.reason


def test_failing_dnf_build_marks_repositories_failed() -> None:
    """librepo's Curl error (6)/(28) and Status code lines fail the mirrorlist, metalink and repo hosts."""
    assert _seen("dnf-failing.log") == {
        "developer.download.nvidia.com:443": ("observed", {"failed": 1}),
        "mirrors.fedoraproject.org:443": ("observed", {"failed": 2}),
        "mirrors.rockylinux.org:443": ("observed", {"failed": 2}),
    }
    (curl28,) = _at("dnf-failing.log", 9)
    assert curl28.outcome == "failed" and "Curl error (28): Timeout was reached" in curl28.reason


def test_failing_pip_install_names_the_index_it_retried() -> None:
    """pip's retries name only a path: the host is pip's default index; a TLS failure says interception."""
    assert _seen("pip-failing.log") == {
        "files.pythonhosted.org:443": ("observed", {"failed": 1}),
        "pypi.org:443": ("observed", {"failed": 3}),
    }
    (tls,) = _at("pip-failing.log", 6)
    assert "CERTIFICATE_VERIFY_FAILED" in tls.reason and "middlebox" in tls.reason


def test_pip_retries_go_to_the_index_the_log_names() -> None:
    """With 'Looking in indexes:', a retry's host is that index, not PyPI."""
    lines = [
        "Looking in indexes: https://artifactory.corp.example.com/api/pypi/pypi-remote/simple",
        "  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after "
        "connection broken by 'ConnectTimeoutError(<pip._vendor.urllib3.connection.HTTPSConnection object at "
        "0x7f3b1c2d5e50>, 'Connection to artifactory.corp.example.com timed out. (connect timeout=15)')': "
        "/api/pypi/pypi-remote/simple/numpy/",
    ]
    (retry,) = [
        o for o in FreeText().read(lines, "p.log") if isinstance(o, Observation) and o.source == "p.log:2"
    ]
    assert (retry.host, retry.port, retry.outcome) == ("artifactory.corp.example.com", 443, "failed")


def test_pip_index_from_the_environment_or_pip_conf() -> None:
    """PIP_INDEX_URL and pip.conf's index-url name the index a retry went to."""
    retry = (
        "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
        "broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f3b1c2d5e50>: "
        "Failed to establish a new connection: [Errno 111] Connection refused')': /simple/numpy/"
    )
    for said in (
        "+ export PIP_INDEX_URL=https://nexus.corp.example.com/repository/pypi/simple",
        "index-url = https://nexus.corp.example.com/repository/pypi/simple",
    ):
        items = [o for o in FreeText().read([said, retry], "p.log") if isinstance(o, Observation)]
        assert [(o.host, o.outcome) for o in items if o.source == "p.log:2"] == [
            ("nexus.corp.example.com", "failed")
        ]


def test_failing_curl_takes_the_host_from_the_command() -> None:
    """curl's exit messages fail the host they name, or the one of the curl command just before them."""
    assert _seen("curl-failing.log") == {
        "curl.se:443": ("documentation", {"unknown": 1}),
        "download.open-mpi.example.org:443": ("observed", {"failed": 1, "unknown": 1}),
        "efa-installer.amazonaws.com:443": ("observed", {"failed": 1, "unknown": 1}),
        "ftp.gnu.org:443": ("referenced", {"unknown": 1}),
        "github.com:443": ("observed", {"failed": 1, "unknown": 1}),
        "us.download.nvidia.com:443": ("observed", {"failed": 1, "unknown": 1}),
    }
    (tls,) = _at("curl-failing.log", 7)  # "curl: (60) SSL certificate problem: ..."
    assert tls.host == "us.download.nvidia.com" and "middlebox" in tls.reason


def test_a_hostless_curl_error_far_from_any_command_names_nothing() -> None:
    """A curl error more than CONTEXT_LINES after the last command is not pinned on that command's host."""
    lines = [
        "+ curl -fsSLO https://example.org/x.tar.gz",
        *(["noise"] * 60),
        "curl: (28) Operation timed out",
    ]
    items = list(FreeText().read(lines, "c.log"))
    assert [o.source for o in items if isinstance(o, Observation)] == ["c.log:1"]
    assert [(s.lineno, s.kind, s.reason) for s in items if isinstance(s, Skipped)] == [
        (62, "dropped", "curl failure names no host: (28) Operation timed out")
    ]


def test_failing_cinc_run_marks_remote_file_sources_failed() -> None:
    """cinc's remote_file errors and Ruby's 'Failed to open TCP connection' fail the download hosts."""
    assert _seen("cinc-failing.log") == {
        "efa-installer.amazonaws.com:443": ("observed", {"failed": 1}),
        "github.com:443": ("observed", {"failed": 2, "unknown": 1}),
    }
    (retry,) = _at("cinc-failing.log", 5)
    assert "remote_file had an error: Net::OpenTimeout" in retry.reason


def test_busybox_wget_takes_the_host_from_the_command() -> None:
    """BusyBox wget names only the address it could not reach: the host is the wget command's."""
    lines = [
        "+ wget -q https://github.com/krallin/tini/releases/download/v0.19.0/tini-static -O /tini",
        "Connecting to github.com (140.82.112.3:443)",
        "wget: can't connect to remote host (140.82.112.3): Connection refused",
    ]
    items = [o for o in FreeText().read(lines, "w.log") if isinstance(o, Observation)]
    assert [(o.source, o.host, o.port, o.kind, o.outcome) for o in items] == [
        ("w.log:1", "github.com", 443, "mention", "unknown"),
        ("w.log:2", "github.com", 443, "connect", "unknown"),
        ("w.log:3", "github.com", 443, "connect", "failed"),
    ]


def test_buildkit_prefix_is_not_a_comment() -> None:
    """'#6 0.858 https://.../repodata/repomd.xml' is a yum metadata fetch; a '#' after the prefix is a comment."""
    assert _seen("buildkit-yum.log") == {
        "docs.docker.com:443": ("documentation", {"unknown": 1}),
        "download.docker.com:443": ("observed", {"failed": 2, "unknown": 2}),
        "mirror.math.example.edu:443": ("referenced", {"unknown": 1}),
        "mirrors.rockylinux.org:443": ("referenced", {"unknown": 2}),
        "rocky.mirror.example.net:443": ("referenced", {"unknown": 1}),
    }
    (fetch,) = _at("buildkit-yum.log", 26)
    assert (fetch.host, fetch.tier) == ("download.docker.com", "referenced")
    (comment,) = _at("buildkit-yum.log", 27)
    assert (comment.tier, comment.reason) == ("documentation", "URL in a comment line")


def test_awslogs_group_and_stream_prefixes() -> None:
    """An awslogs export: Stdout:/Stderr: lines read through their group/stream prefix; apt failures count."""
    assert _seen("awslogs.log") == {
        "developer.download.nvidia.com:443": ("observed", {"failed": 3}),
        "fsx-lustre-client-repo.s3.amazonaws.com:443": ("referenced", {"unknown": 1}),
        "help.ubuntu.com:443": ("documentation", {"unknown": 1}),
        "security.ubuntu.com:80": ("referenced", {"unknown": 1}),
        "us-east-1.ec2.archive.ubuntu.com:80": ("referenced", {"unknown": 1}),
        "wiki.ubuntu.com:443": ("documentation", {"unknown": 1}),
    }


def test_cfn_init_endpoint_is_a_connection() -> None:
    """cfn-init's 'client initialized with endpoint' is the CloudFormation endpoint it talks to."""
    assert _seen("cfn-init.log") == {
        "cloudformation.us-east-2.amazonaws.com:443": ("observed", {"unknown": 2}),
        "docs.chef.io:443": ("documentation", {"unknown": 1}),
    }
    (endpoint,) = _at("cfn-init.log", 1)
    assert endpoint.kind == "connect" and "cfn-init" in endpoint.reason


def test_sdk_and_client_lines_are_connections() -> None:
    """urllib3, botocore and request lines name the endpoint a client talks to."""
    lines = [
        "2024-05-14 08:20:01,100 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTPS connection "
        "(1): sts.us-east-2.amazonaws.com:443",
        "2024-05-14 08:20:01,180 - MainThread - urllib3.connectionpool - DEBUG - https://sts.us-east-2."
        'amazonaws.com:443 "POST / HTTP/1.1" 200 1491',
        "2024-05-14 08:20:01,190 - MainThread - botocore.regions - DEBUG - Endpoint provider result: "
        "https://ec2.us-east-2.amazonaws.com",
        "2024-05-14 08:20:01,195 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
        "<AWSPreparedRequest stream_output=False, method=POST, url=https://ec2.us-east-2.amazonaws.com/, "
        "headers={'User-Agent': b'aws-cli/2.15.30'}>",
        "npm http fetch GET 200 https://registry.npmjs.org/left-pad 63ms (cache miss)",
    ]
    items = [o for o in FreeText().read(lines, "d.log") if isinstance(o, Observation)]
    assert sorted({(o.host, o.port, o.kind, o.tier, o.outcome) for o in items}) == [
        ("ec2.us-east-2.amazonaws.com", 443, "connect", "observed", "unknown"),
        ("registry.npmjs.org", 443, "connect", "observed", "allowed"),
        ("sts.us-east-2.amazonaws.com", 443, "connect", "observed", "allowed"),
        ("sts.us-east-2.amazonaws.com", 443, "connect", "observed", "unknown"),
    ]
    assert len(items) == 5  # one observation per line: a URL a hint names is not also a mention


def test_failure_words_in_a_comment_are_not_failures() -> None:
    """A comment that quotes an error is documentation, not a failed connection."""
    lines = [
        "#7 0.31 # if you see 'Could not resolve host: github.com', check https://github.com/x/y/issues/1"
    ]
    (item,) = [o for o in FreeText().read(lines, "k.log") if isinstance(o, Observation)]
    assert (item.host, item.tier, item.kind) == ("github.com", "documentation", "mention")


def test_cli_build_of_a_failing_log_reports_failed_entries(capsys: pytest.CaptureFixture[str]) -> None:
    """egressmap build LOG --to json: the blocked hosts of a failing build come out with failed > 0."""
    code = main(["build", str(SAMPLES / "dnf-failing.log"), "--to", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    entries = {e["pattern"]: e for e in json.loads(out)["entries"]}
    assert {p: (e["tier"], e["failed"]) for p, e in entries.items()} == {
        "developer.download.nvidia.com": ("observed", 1),
        "mirrors.fedoraproject.org": ("observed", 2),
        "mirrors.rockylinux.org": ("observed", 2),
    }


def test_cli_vpc_endpoints_of_a_cfn_init_log_names_cloudformation(capsys: pytest.CaptureFixture[str]) -> None:
    """The endpoint cfn-init talks to reaches the VPC-endpoint export (it said 'no endpoints needed')."""
    code = main(["build", str(SAMPLES / "cfn-init.log"), "--to", "vpc-endpoints"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "com.amazonaws.us-east-2.cloudformation" in out
