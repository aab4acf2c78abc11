r"""ParallelCluster 2 INI configs: sections and keys, with the line of each.

Values come from :mod:`configparser` (interpolation off, ``#``/``;`` comments stripped, also after a value, key
names lower-cased as ParallelCluster 2 read them). The data is ``{section title: {key: value}}`` with titles as in
the file, runs of blanks squeezed: ``"cluster default"``, ``"aws"``. Config paths are ``"<title>.<key>"``, split
at the last dot (keys have none): ``"cluster default.proxy_server"``, ``"vpc public.use_public_ips"``; a title
alone is the section. Known sections and keys: ``cli/src/pcluster/config/mappings.py`` of aws/aws-parallelcluster
at every tag from 2.5.0 to 2.11.9, plus ``cluster_user`` and ``custom_awsbatch_template_url`` of older 2.x.

>>> data, lines = parse("[aws]\naws_region_name = us-east-1 ; a comment\n", "x.ini")
>>> data, lines
({'aws': {'aws_region_name': 'us-east-1'}}, {'aws': 1, 'aws.aws_region_name': 2})
>>> split_v2_path("cluster default.proxy_server")
('cluster default', 'proxy_server')
"""

from __future__ import annotations

import configparser
import io
import re
from collections.abc import Mapping

from ...errors import ConfigError
from .pcluster_v3 import suggest

_STORAGE = "shared_dir encrypted volume_type volume_size volume_iops volume_throughput ebs_kms_key_id"
_CLUSTER = (
    "additional_cfn_template additional_iam_policies architecture base_os cluster_config_metadata "
    "cluster_resource_bucket cluster_type cluster_user compute_instance_type compute_root_volume_size custom_ami "
    "custom_awsbatch_template_url custom_chef_cookbook cw_dashboard_template_url cw_log_settings dashboard_settings "
    "dcv_settings default_queue desired_vcpus disable_cluster_dns disable_hyperthreading ebs_settings ec2_iam_role "
    "efs_settings enable_efa enable_efa_gdr enable_intel_hpc_platform encrypted_ephemeral ephemeral_dir extra_json "
    "fsx_settings hit_template_url iam_lambda_role initial_queue_size instance_types_data key_name "
    "maintain_initial_size master_instance_type master_root_volume_size max_queue_size max_vcpus min_vcpus "
    "network_interfaces_count placement placement_group post_install post_install_args pre_install "
    "pre_install_args proxy_server queue_settings raid_settings s3_read_resource s3_read_write_resource "
    "scaling_settings scheduler shared_dir spot_bid_percentage spot_price tags template_url vpc_settings"
)
_FSX = (
    "auto_import_policy automatic_backup_retention_days copy_tags_to_backups daily_automatic_backup_start_time "
    "data_compression_type deployment_type drive_cache_type existing_dns_name existing_mount_name export_path "
    "fsx_backup_id fsx_fs_id fsx_kms_key_id import_path imported_file_chunk_size per_unit_storage_throughput "
    "shared_dir storage_capacity storage_type weekly_maintenance_start_time"
)
_KEYS: dict[str, str | None] = {  # section type -> known keys (None: any key)
    "aws": "aws_access_key_id aws_secret_access_key aws_region_name",
    "aliases": None,
    "global": "cluster_template update_check sanity_check",
    "cluster": _CLUSTER,
    "vpc": "vpc_id master_subnet_id ssh_from additional_sg compute_subnet_id compute_subnet_cidr use_public_ips "
    "vpc_security_group_id master_availability_zone compute_availability_zone",
    "queue": "compute_resource_settings compute_type disable_hyperthreading enable_efa enable_efa_gdr placement_group",
    "compute_resource": "instance_type min_count max_count initial_count spot_price vcpus gpus gpu_type "
    "network_interfaces enable_efa enable_efa_gdr disable_hyperthreading disable_hyperthreading_via_cpu_options",
    "ebs": f"{_STORAGE} ebs_snapshot_id ebs_volume_id",
    "efs": "shared_dir efs_fs_id efs_kms_key_id encrypted performance_mode provisioned_throughput throughput_mode",
    "fsx": _FSX,
    "raid": f"{_STORAGE} raid_type num_of_raid_volumes",
    "dcv": "enable port access_from",
    "cw_log": "enable retention_days",
    "dashboard": "enable",
    "scaling": "scaledown_idletime",
}
KNOWN: dict[str, frozenset[str] | None] = {k: frozenset(v.split()) if v else None for k, v in _KEYS.items()}
MAIN_SECTIONS = ("cluster", "global", "aws")
NOT_V2 = "not a ParallelCluster v2 config (no [cluster ...], [global] or [aws] section)"
_NO_DEFAULT = "\x00no default section"
_LABEL = re.compile(r"^[A-Za-z0-9][\w.-]*$")


def title_of(header: str) -> str:
    """A section header as used in data and paths: blanks squeezed."""
    return " ".join(header.split())


def split_v2_path(path: str) -> tuple[str, str | None]:
    """``"<title>.<key>"`` -> (title, key); a path without a dot is a section title (key None)."""
    title, dot, key = path.rpartition(".")
    return (title_of(title), key.strip().lower()) if dot else (title_of(path), None)


def _code(line: str) -> str:
    """A line without its comment, as configparser cuts it (inline ``#``/``;`` only after a blank)."""
    if line.strip().startswith(("#", ";")):
        return ""
    cut = [i for i, c in enumerate(line) if c in "#;" and (i == 0 or line[i - 1].isspace())]
    return line[: cut[0]].strip() if cut else line.strip()


def _scan(text: str, origin: str) -> dict[str, int]:
    """Lines of section headers and keys, following configparser's reading (continuation lines included)."""
    lines: dict[str, int] = {}
    title: str | None = None
    key: str | None = None
    indent = 0
    for number, line in enumerate(io.StringIO(text), 1):
        code = _code(line)
        if not code:
            continue
        level = len(line) - len(line.lstrip())
        if title is not None and key and level > indent:
            continue
        indent = level
        header = configparser.ConfigParser.SECTCRE.match(code)
        if header:
            title, key = title_of(header.group("header")), None
            if title in lines:
                raise ConfigError(
                    f"{origin}:{number}: duplicate section [{title}] (first at line {lines[title]})"
                )
            lines[title] = number
            continue
        option = configparser.ConfigParser.OPTCRE.match(code)
        if title is not None and option:
            key = option.group("option").rstrip().lower()
            lines.setdefault(f"{title}.{key}", number)
    return lines


def _read(text: str, origin: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        interpolation=None, inline_comment_prefixes=("#", ";"), strict=True, default_section=_NO_DEFAULT
    )
    try:
        parser.read_string(text, source=origin)
    except configparser.MissingSectionHeaderError as err:
        raise ConfigError(f"{origin}:{err.lineno}: a key before any [section] header") from None
    except configparser.ParsingError as err:
        lineno = err.errors[0][0]
        bad = text.split("\n")[lineno - 1].strip() if 0 < lineno <= text.count("\n") + 1 else ""
        raise ConfigError(f"{origin}:{lineno}: cannot read {bad!r} (expected 'key = value')") from None
    except configparser.DuplicateSectionError as err:
        raise ConfigError(f"{origin}:{err.lineno}: duplicate section [{err.section}]") from None
    except configparser.DuplicateOptionError as err:
        raise ConfigError(f"{origin}:{err.lineno}: duplicate key {err.option!r} in [{err.section}]") from None
    except configparser.Error as err:
        raise ConfigError(f"{origin}: not a readable INI file: {err.message}") from None
    return parser


def check(data: Mapping[str, Mapping[str, str]], lines: Mapping[str, int], origin: str) -> None:
    """Raise :class:`ConfigError` at the first unknown section type, malformed title or unknown key."""
    for title, keys in data.items():
        at = f"{origin}:{lines[title]}" if title in lines else origin
        kind, _, label = title.partition(" ")
        known = KNOWN.get(kind, frozenset())
        if kind not in KNOWN:
            hint = suggest(kind, KNOWN)
            tail = f" (did you mean {hint!r}?)" if hint else ""
            raise ConfigError(f"{at}: unknown section type {kind!r} in [{title}]{tail}")
        if label and not _LABEL.match(label):
            raise ConfigError(
                f"{at}: section [{title}] should be [{kind}] or [{kind} <name>] (one word name)"
            )
        for key in keys:
            if known is not None and key not in known:
                where = f"{origin}:{lines[f'{title}.{key}']}" if f"{title}.{key}" in lines else at
                hint = suggest(key, sorted(known))
                tail = f" (did you mean {hint!r}?)" if hint else ""
                raise ConfigError(f"{where}: unknown key {key!r} in [{title}]{tail}")


def parse(text: str, origin: str) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    """Read v2 INI text into ``({title: {key: value}}, {path: line})`` and check it."""
    parser = _read(text, origin)
    lines = _scan(text, origin)
    data = {title_of(s): dict(parser.items(s, raw=True)) for s in parser.sections()}
    if not any(title.partition(" ")[0] in MAIN_SECTIONS for title in data):
        raise ConfigError(f"{origin}: {NOT_V2}")
    check(data, lines, origin)
    return data, lines
