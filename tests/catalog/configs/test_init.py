from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.catalog.configs import KINDS, ConfigDoc, detect, load_config, pcluster_v2, pcluster_v3
from egressmap.errors import ConfigError

CONFIGS = Path(__file__).parents[2] / "data" / "configs"
SEEDS = Path(__file__).parents[2] / "data" / "seeds"
PROXY = "http://172.31.87.105:3128"


def _load(name: str) -> ConfigDoc:
    return load_config(str(CONFIGS / name))


def _line_of(name: str, pattern: str) -> int:
    """The 1-based line of the one line matching ``pattern`` in a data file."""
    found = [
        n for n, line in enumerate((CONFIGS / name).read_text().splitlines(), 1) if re.search(pattern, line)
    ]
    assert len(found) == 1, found
    return found[0]


# ---- seed 000: the Ubuntu cluster behind a proxy, and its build-image config


def test_seed000_cluster() -> None:
    doc = _load("seed000-ubuntu-cluster.yaml")
    assert doc.kind == "pcluster-v3-cluster"
    assert doc.origin == str(CONFIGS / "seed000-ubuntu-cluster.yaml")
    assert doc.get("Region") == "us-east-1"
    assert doc.get("Image.Os") == "ubuntu2404"
    assert doc.get("Image.CustomAmi") == "ami-xxxx"
    assert doc.get("HeadNode.Networking.Proxy.HttpProxyAddress") == PROXY
    assert doc.get("Scheduling.SlurmQueues[0].Networking.Proxy.HttpProxyAddress") == PROXY
    assert doc.get("Scheduling.SlurmQueues[0].Name") == "interactive-q"
    assert doc.get("Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount") == 1
    assert doc.get("HeadNode.Dcv.Enabled") is True
    assert doc.get("HeadNode.Imds.Secured") is True
    assert doc.get("Monitoring.DetailedMonitoring") is False
    assert doc.get("HeadNode.Networking.SecurityGroups") == ["sg-xxxx"]
    assert doc.get("Scheduling.SlurmSettings.Dns.DisableManagedDns") is None
    assert doc.get("Scheduling.SlurmQueues[1].Name", "none") == "none"


def test_seed000_cluster_lines() -> None:
    doc = _load("seed000-ubuntu-cluster.yaml")
    name = "seed000-ubuntu-cluster.yaml"
    assert doc.line("HeadNode.Networking.Proxy.HttpProxyAddress") == 12
    assert doc.line("HeadNode.Networking.Proxy.HttpProxyAddress") == _line_of(
        name, r"^      HttpProxyAddress"
    )
    assert doc.line("Scheduling.SlurmQueues[0].Networking.Proxy.HttpProxyAddress") == 31
    assert doc.line("Scheduling.SlurmQueues[0]") == _line_of(name, r"- Name: interactive-q")
    assert doc.line("Scheduling.SlurmQueues[0].ComputeResources[0].InstanceType") == _line_of(
        name, r"t3a\.medium"
    )
    assert doc.line("Region") == 1
    # nearest known parent
    assert doc.line("HeadNode.Networking.Proxy.NoProxy") == 11
    assert doc.line("HeadNode.Nothing[3].Deeper") == doc.line("HeadNode") == 5
    assert doc.line("Nothing") is None
    assert doc.where("HeadNode.Networking.Proxy") == f"{doc.origin}:11"
    assert doc.where("Nothing") == doc.origin


def test_seed000_build_image() -> None:
    doc = _load("seed000-build-image.yaml")
    assert doc.kind == "pcluster-v3-build-image"
    assert doc.get("Build.InstanceType") == "g4dn.xlarge"  # the trailing comment is not part of the value
    assert doc.get("Build.SubnetId") == "subnet-xxxx"
    assert doc.get("Build.SecurityGroupIds") == ["sg-xxxx"]
    assert doc.get("Build.UpdateOsPackages.Enabled") is True
    assert doc.get("Build.Installation.NvidiaSoftware.Enabled") is True
    assert doc.get("Build.Installation.LustreClient.Enabled") is True
    assert doc.line("Build.Installation.LustreClient.Enabled") == 13


# ---- seed 004: the v2.10.3 INI


def test_seed004_v2() -> None:
    doc = _load("seed004-v2.ini")
    name = "seed004-v2.ini"
    assert doc.kind == "pcluster-v2"
    assert doc.get("cluster default.proxy_server") is None
    assert doc.get("cluster default.proxy_server", "-") == "-"
    assert (
        doc.get("cluster default.additional_iam_policies")
        == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    assert doc.get("vpc default.use_public_ips") == "true"  # inline "# ..." comment stripped
    assert doc.get("aliases.ssh") == "ssh {CFN_USER}@{MASTER_IP} {ARGS}"
    assert doc.get("global.cluster_template") == "default"
    assert doc.get("aws.aws_region_name") == "us-east-1"
    assert doc.get("compute_resource spot1_resource.max_count") == "16"
    assert doc.get("queue spot1") == {
        "compute_resource_settings": "spot1_resource",
        "placement_group": "DYNAMIC",
        "compute_type": "spot",
    }
    assert doc.line("vpc default.use_public_ips") == 35 == _line_of(name, r"^use_public_ips")
    assert doc.line("cluster default.additional_iam_policies") == _line_of(name, r"^additional_iam_policies")
    assert doc.line("cluster default.proxy_server") == _line_of(name, r"^\[cluster default\]")  # the section
    assert doc.where("vpc default.use_public_ips") == f"{doc.origin}:35"
    assert doc.line("nothing.here") is None
    assert doc.get("nothing.here") is None


# ---- seed 002: the isolated cluster, with and without the Dns block


def test_seed002_isolated() -> None:
    doc = _load("seed002-isolated.yaml")
    assert doc.kind == "pcluster-v3-cluster"
    assert doc.get("Region") == "us-gov-west-1"
    assert doc.get("Image.Os") == "alinux2023"
    assert doc.get("Scheduling.SlurmSettings.Dns.DisableManagedDns") is True
    assert doc.get("Scheduling.SlurmSettings.Dns.UseEc2Hostnames") is True
    assert doc.get("HeadNode.Networking.Proxy") is None
    assert doc.get("Scheduling.SlurmQueues[0].Networking.Proxy") is None
    assert doc.get("LoginNodes.Pools[0].Name") == "login"
    assert str(doc.get("HeadNode.CustomActions.OnNodeConfigured.Script")).startswith("s3://")
    line = doc.line("Scheduling.SlurmSettings.Dns.UseEc2Hostnames")
    assert line == _line_of("seed002-isolated.yaml", r"UseEc2Hostnames: true")


def test_seed002_nodns_is_the_same_without_dns() -> None:
    with_dns, without = _load("seed002-isolated.yaml"), _load("seed002-isolated-nodns.yaml")
    assert without.get("Scheduling.SlurmSettings") is None
    assert without.get("Scheduling.SlurmSettings.Dns.DisableManagedDns") is None
    trimmed = dict(with_dns.data)
    trimmed["Scheduling"] = {k: v for k, v in trimmed["Scheduling"].items() if k != "SlurmSettings"}
    assert trimmed == without.data


# ---- broken inputs


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        (
            "broken-unknown-key.yaml",
            8,
            "unknown key 'Proxxy' under HeadNode.Networking (did you mean 'Proxy'?)",
        ),
        ("broken-syntax.yaml", 5, "not valid YAML: mapping values are not allowed"),
        ("broken-duplicate-key.yaml", 7, "duplicate key 'InstanceType' under HeadNode (first at line 4)"),
        ("broken-list-for-mapping.yaml", 5, "HeadNode.Networking should be a mapping"),
        ("broken-v2.ini", 6, "unknown key 'proxy_sever' in [cluster default] (did you mean 'proxy_server'?)"),
        ("broken-v2-duplicate.ini", 7, "duplicate key 'scheduler' in [cluster default]"),
    ],
)
def test_broken_files(name: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(name)
    message = str(info.value)
    assert message.startswith(f"{CONFIGS / name}:{line}: ")
    assert words in message


def test_not_a_cluster_config() -> None:
    with pytest.raises(ConfigError) as info:
        _load("broken-not-pcluster.yaml")
    assert str(info.value) == (
        f"{CONFIGS / 'broken-not-pcluster.yaml'}: "
        "not a ParallelCluster cluster or build-image config (no HeadNode, Scheduling or Build key)"
    )


def test_unreadable_empty_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read"):
        load_config(str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match=r": cannot read"):
        load_config(str(tmp_path))
    empty = tmp_path / "empty.yaml"
    empty.write_text("  \n\n")
    with pytest.raises(ConfigError, match=r"empty\.yaml: empty file$"):
        load_config(str(empty))
    comments = tmp_path / "comments.yaml"
    comments.write_text("# nothing\nHeadNode:\n")
    assert load_config(comments).data == {"HeadNode": None}
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"HeadNode:\n  InstanceType: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bin\.yaml:2: not UTF-8 text"):
        load_config(str(binary))
    ini = tmp_path / "other.ini"
    ini.write_text("[section]\nkey = value\n")
    with pytest.raises(ConfigError, match=r"other\.ini: not a ParallelCluster v2 config"):
        load_config(str(ini))


def test_bom_and_json(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfBuild:\n  InstanceType: c5.large\n")
    assert load_config(str(bom)).kind == "pcluster-v3-build-image"
    as_json = tmp_path / "c.json"
    as_json.write_text('{"HeadNode": {"InstanceType": "t3.micro"},\n "Scheduling": {"Scheduler": "slurm"}}\n')
    doc = load_config(str(as_json))
    assert doc.kind == "pcluster-v3-cluster"
    assert doc.line("Scheduling.Scheduler") == 2


# ---- detect


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("seed000-ubuntu-cluster.yaml", "pcluster-v3-cluster"),
        ("seed000-build-image.yaml", "pcluster-v3-build-image"),
        ("seed002-isolated.yaml", "pcluster-v3-cluster"),
        ("seed002-isolated-nodns.yaml", "pcluster-v3-cluster"),
        ("seed004-v2.ini", "pcluster-v2"),
        ("broken-not-pcluster.yaml", None),
    ],
)
def test_detect_data_files(name: str, kind: str | None) -> None:
    assert detect((CONFIGS / name).read_text(), name) == kind


@pytest.mark.parametrize(
    "text",
    [
        "1700000000.123    120 10.0.0.5 TCP_TUNNEL/200 4512 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -\n",
        '10.0.0.5 - - [21/Nov/2025:10:00:00 +0000] "GET http://security.ubuntu.com/ubuntu/ HTTP/1.1" 200 512\n',
        "https://github.com/SchedMD/slurm/archive\nhttps://pypi.org/simple/\nfiles.pythonhosted.org\n",
        "# allowlist\napi.snapcraft.io\n[cluster-hosts]\nrhui.us-east-1.aws.ce.redhat.com\n",
        "",
        "Scheduler: slurm\n  HeadNode: indented\n",
    ],
)
def test_detect_other_text(text: str) -> None:
    assert detect(text) is None


def test_detect_seed_log_files() -> None:
    for path in sorted(SEEDS.iterdir()):
        assert detect(path.read_text(errors="replace"), path.name) is None, path.name


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Scheduling:\n  Scheduler: slurm\n", "pcluster-v3-cluster"),
        ('"HeadNode":\n  InstanceType: t3.micro\n', "pcluster-v3-cluster"),
        ("Image:\n  Name: x\nBuild:\n  InstanceType: c5.large\n", "pcluster-v3-build-image"),
        ("[aws]\naws_region_name = us-east-1\n", "pcluster-v2"),
        ("  [cluster  default] ; main\nscheduler = slurm\n", "pcluster-v2"),
        ("\ufeffHeadNode:\n", "pcluster-v3-cluster"),
        ("{HeadNode: {InstanceType: t3.micro}}", "pcluster-v3-cluster"),
        ('{"Build": {}}', "pcluster-v3-build-image"),
        ('{"Region": "us-east-1"}', None),
    ],
)
def test_detect_kinds(text: str, kind: str | None) -> None:
    assert detect(text) == kind


def test_detect_tie_uses_the_name() -> None:
    both = "[global]\ncluster_template = default\nHeadNode: x\n"
    assert detect(both, "pcluster.ini") == "pcluster-v2"
    assert detect(both, "cluster.yaml") == "pcluster-v3-cluster"


def test_kinds() -> None:
    assert KINDS == ("pcluster-v3-cluster", "pcluster-v3-build-image", "pcluster-v2")


# ---- nothing but ConfigError, whatever the text

_PIECES = st.sampled_from(
    [
        "HeadNode:", "Scheduling:", "Build:", "  ", "    ", "- ", ": ", "\n", "[cluster default]", "[aws]", "[global]",
        "key = value", "Proxy", "&a ", "*a", "<<: ", "!!int ", "!Ref ", "{", "}", "[", "]", ",", "'", '"', "#", ";",
        "\t", "%(x)s", "---", "? ", "|", ">", "\x00", "\u2028", "Networking:", "HttpProxyAddress: http://p:3128",
    ]
)  # fmt: skip
_TEXTS = st.one_of(st.text(max_size=200), st.lists(_PIECES | st.text(max_size=5), max_size=40).map("".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXTS, suffix=st.sampled_from([".yaml", ".ini", ".json", ""]))
def test_load_config_raises_only_config_error(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        doc = load_config(str(path))
    except ConfigError as err:
        assert str(err).startswith(str(path))
    else:
        assert doc.kind in KINDS
        for key in doc.lines:
            assert doc.line(key) == doc.lines[key]


@settings(max_examples=150, deadline=None)
@given(_TEXTS)
def test_parsers_raise_only_config_error(text: str) -> None:
    for parse in (pcluster_v3.parse, pcluster_v2.parse):
        try:
            parse(text, "f.txt")
        except ConfigError as err:
            assert str(err).startswith("f.txt")
    detect(text)
