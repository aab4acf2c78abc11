from __future__ import annotations

import pytest

from egressmap.catalog.configs.pcluster_v2 import KNOWN, parse, split_v2_path, title_of
from egressmap.errors import ConfigError

BASE = "[aws]\naws_region_name = us-east-1\n\n[cluster default]\nscheduler = slurm\n"


def test_values_lines_and_comments() -> None:
    text = (
        BASE
        + "proxy_server = http://10.0.0.1:8080 ; the proxy\n  # a comment line\npost_install = s3://b/x.sh\n"
    )
    data, lines = parse(text, "x.ini")
    assert data["cluster default"] == {
        "scheduler": "slurm",
        "proxy_server": "http://10.0.0.1:8080",
        "post_install": "s3://b/x.sh",
    }
    assert lines["cluster default"] == 4
    assert lines["cluster default.proxy_server"] == 6
    assert lines["cluster default.post_install"] == 8


def test_no_interpolation_and_case_folded_keys() -> None:
    data, lines = parse(BASE + "Pre_Install_Args = %(x)s {y}\n", "x.ini")
    assert data["cluster default"]["pre_install_args"] == "%(x)s {y}"
    assert lines["cluster default.pre_install_args"] == 6


def test_continuation_lines_join_and_keep_the_first_line() -> None:
    data, lines = parse(BASE + 'tags = {\n    "a": "b"}\nkey_name = k\n', "x.ini")
    assert data["cluster default"]["tags"] == '{\n"a": "b"}'
    assert lines["cluster default.tags"] == 6
    assert lines["cluster default.key_name"] == 8


def test_titles_squeeze_blanks() -> None:
    data, lines = parse("[aws]\n[vpc   public]\nvpc_id = vpc-1\n", "x.ini")
    assert data["vpc public"] == {"vpc_id": "vpc-1"}
    assert lines["vpc public.vpc_id"] == 3


def test_aliases_take_any_key() -> None:
    data, _ = parse("[aliases]\nssh = ssh {CFN_USER}@{MASTER_IP} {ARGS}\nmine = x\n[global]\n", "x.ini")
    assert data["aliases"]["mine"] == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BASE + "proxy_sever = x\n",
            "x.ini:6: unknown key 'proxy_sever' in [cluster default] (did you mean 'proxy_server'?)",
        ),
        (
            BASE + "[clustr other]\n",
            "x.ini:6: unknown section type 'clustr' in [clustr other] (did you mean 'cluster'?)",
        ),
        (BASE + "[vpc a b]\n", "x.ini:6: section [vpc a b] should be [vpc] or [vpc <name>] (one word name)"),
        (BASE + "scheduler = sge\n", "x.ini:6: duplicate key 'scheduler' in [cluster default]"),
        (BASE + "[aws]\n", "x.ini:6: duplicate section [aws]"),
        (BASE + "[cluster  default]\n", "x.ini:6: duplicate section [cluster default] (first at line 4)"),
        ("key = 1\n" + BASE, "x.ini:1: a key before any [section] header"),
        (BASE + "just words\n", "x.ini:6: cannot read 'just words' (expected 'key = value')"),
        ("[DEFAULT]\nscheduler = slurm\n" + BASE, "x.ini:1: unknown section type 'DEFAULT' in [DEFAULT]"),
        (
            "[vpc public]\nvpc_id = v\n",
            "x.ini: not a ParallelCluster v2 config (no [cluster ...], [global] or [aws] section)",
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, "x.ini")
    assert str(info.value) == message


def test_known_sections() -> None:
    assert set(KNOWN) == {
        "aws", "aliases", "global", "cluster", "vpc", "queue", "compute_resource",
        "ebs", "efs", "fsx", "raid", "dcv", "cw_log", "dashboard", "scaling",
    }  # fmt: skip
    cluster = KNOWN["cluster"]
    assert cluster is not None
    assert {"proxy_server", "additional_iam_policies", "disable_cluster_dns", "vpc_settings"} <= cluster
    assert KNOWN["aliases"] is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("cluster default.proxy_server", ("cluster default", "proxy_server")),
        ("aws.aws_region_name", ("aws", "aws_region_name")),
        ("vpc  public.Use_Public_Ips", ("vpc public", "use_public_ips")),
        ("cluster default", ("cluster default", None)),
        ("cluster my.name.key_name", ("cluster my.name", "key_name")),
    ],
)
def test_split_v2_path(path: str, expected: tuple[str, str | None]) -> None:
    assert split_v2_path(path) == expected


def test_title_of() -> None:
    assert title_of(" cluster \t default ") == "cluster default"
