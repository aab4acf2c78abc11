"""egressmap athena-sql: the DDL and the query parse as SQL, with AWS's columns and projection; bad values refused."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from egressmap.athena import AthenaRequest, render, request
from egressmap.athena_tables import PRIVATE
from egressmap.cli import main
from egressmap.sources.athena_csv import CSV_COLUMNS
from egressmap.sources.vpc_flow import PRIVATE_NETWORKS

ACCOUNTS = "111122223333,444455556666"
SINCE = "2026-10-01"
EXTRA = {
    "route53-resolver": {"vpcs": "vpc-0abc1234"},
    "vpc-flow": {},
    "network-firewall": {"firewalls": "egress-fw"},
}
R53_COLUMNS = [
    "version", "account_id", "region", "vpc_id", "query_timestamp", "query_name", "query_type", "query_class",
    "rcode", "answers", "srcaddr", "srcport", "transport", "srcids", "firewall_rule_action",
    "firewall_rule_group_id", "firewall_domain_list_id",
]  # fmt: skip
"""The columns of AWS's Resolver table (querying-r53-resolver-logs-partitioning-example)."""
FLOW_COLUMNS = [
    "version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
    "bytes", "start", "end", "action", "log_status", "vpc_id", "subnet_id", "instance_id", "tcp_flags", "type",
    "pkt_srcaddr", "pkt_dstaddr", "az_id", "sublocation_type", "sublocation_id", "pkt_src_aws_service",
    "pkt_dst_aws_service", "flow_direction", "traffic_path",
]  # fmt: skip
"""The columns of AWS's flow-log table with partition projection (vpc-flow-logs-partition-projection)."""
NFW_COLUMNS = ["firewall_name", "availability_zone", "event_timestamp", "event"]


def made(source: str) -> AthenaRequest:
    """A checked request for a log type, with the test's accounts, one region pair and date."""
    extra = EXTRA[source]
    return request(
        source,
        "central-logs",
        ACCOUNTS,
        "us-east-1,eu-west-1",
        since=SINCE,
        prefix="org/",
        vpcs=extra.get("vpcs"),
        firewalls=extra.get("firewalls"),
    )


def ddl_tree(source: str) -> exp.Create:
    """The DDL parsed as Hive (Athena's DDL dialect)."""
    tree = sqlglot.parse_one(render(made(source)).ddl, read="hive")
    assert isinstance(tree, exp.Create)
    return tree


def properties(tree: exp.Create) -> dict[str, str]:
    """TBLPROPERTIES as a dict."""
    found = tree.args["properties"].expressions
    return {p.this.name: p.args["value"].name for p in found if type(p) is exp.Property}


def partitions(tree: exp.Create) -> list[str]:
    """The PARTITIONED BY column names."""
    part = tree.find(exp.PartitionedByProperty)
    assert part is not None
    return [c.name for c in part.this.expressions]


@pytest.mark.parametrize(
    ("source", "columns"),
    [("route53-resolver", R53_COLUMNS), ("vpc-flow", FLOW_COLUMNS), ("network-firewall", NFW_COLUMNS)],
)
def test_the_ddl_parses_with_the_documented_columns(source: str, columns: list[str]) -> None:
    """CREATE EXTERNAL TABLE IF NOT EXISTS with AWS's columns in AWS's order, in the database and table asked."""
    tree = ddl_tree(source)
    assert tree.args["exists"] and tree.find(exp.ExternalProperty) is not None
    assert [c.name for c in tree.this.expressions] == columns
    table = tree.this.this
    assert (table.db, table.name) == ("default", made(source).table.default_table)


def test_resolver_projection_and_json_serde() -> None:
    """Accounts, VPCs and days projected over AWSLogs/<account>/vpcdnsquerylogs/<vpc>/<yyyy/MM/dd>/."""
    tree = ddl_tree("route53-resolver")
    assert partitions(tree) == ["accid", "vpc", "date"]
    serde = tree.find(exp.RowFormatSerdeProperty)
    assert serde is not None and serde.this.name == "org.openx.data.jsonserde.JsonSerDe"
    location = tree.find(exp.LocationProperty)
    assert location is not None and location.this.name == "s3://central-logs/org/AWSLogs/"
    assert properties(tree) == {
        "projection.enabled": "true",
        "projection.accid.type": "enum",
        "projection.accid.values": ACCOUNTS,
        "projection.vpc.type": "enum",
        "projection.vpc.values": "vpc-0abc1234",
        "projection.date.type": "date",
        "projection.date.range": "2026/10/01,NOW",
        "projection.date.format": "yyyy/MM/dd",
        "projection.date.interval": "1",
        "projection.date.interval.unit": "DAYS",
        "storage.location.template": "s3://central-logs/org/AWSLogs/${accid}/vpcdnsquerylogs/${vpc}/${date}/",
    }


def test_flow_log_projection_and_space_delimited_text_with_a_header() -> None:
    """Space-delimited text, header line skipped; accounts, regions and days over .../vpcflowlogs/<region>/<day>/."""
    tree = ddl_tree("vpc-flow")
    assert partitions(tree) == ["accid", "region", "day"]
    delimited = tree.find(exp.RowFormatDelimitedProperty)
    assert delimited is not None and delimited.args["fields"].name == " "
    props = properties(tree)
    assert props["skip.header.line.count"] == "1"
    assert (props["projection.region.type"], props["projection.region.values"]) == (
        "enum",
        "us-east-1,eu-west-1",
    )
    assert (props["projection.day.range"], props["projection.day.format"]) == ("2026/10/01,NOW", "yyyy/MM/dd")
    assert props["storage.location.template"] == (
        "s3://central-logs/org/AWSLogs/${accid}/vpcflowlogs/${region}/${day}/"
    )


def test_network_firewall_projection_over_alert_logs() -> None:
    """JSON SerDe; accounts, regions, firewalls and days over .../network-firewall/alert/<region>/<firewall>/."""
    tree = ddl_tree("network-firewall")
    assert partitions(tree) == ["accid", "region", "firewall", "day"]
    props = properties(tree)
    assert props["projection.firewall.values"] == "egress-fw"
    assert props["storage.location.template"] == (
        "s3://central-logs/org/AWSLogs/${accid}/network-firewall/alert/${region}/${firewall}/${day}/"
    )
    event = tree.this.expressions[3].args["kind"]
    fields = [c.name for c in event.expressions]
    assert {"sni", "dest_hostname", "tls", "http", "alert"} <= set(fields)


@pytest.mark.parametrize("source", sorted(EXTRA))
@pytest.mark.parametrize("dialect", ["athena", "trino"])
def test_the_query_parses_and_selects_the_csv_columns(source: str, dialect: str) -> None:
    """The aggregate's output columns are the reader's header, in order; it reads only the projected partitions."""
    req = made(source)
    tree = sqlglot.parse_one(render(req).query, read=dialect)
    assert isinstance(tree, exp.Select)
    assert tree.named_selects == list(CSV_COLUMNS)
    table = next(t for t in tree.find_all(exp.Table) if t.name != "events")
    assert (table.db, table.name) == ("default", req.table_name)
    cte_where = tree.find(exp.CTE)
    assert cte_where is not None
    ins = {i.this.name: [v.name for v in i.expressions] for i in cte_where.find_all(exp.In)}
    assert ins["accid"] == ACCOUNTS.split(",")
    assert ins["region"] == ["us-east-1", "eu-west-1"]
    day = next(c for c in cte_where.find_all(exp.GTE))
    assert (day.this.name, day.expression.name) == (req.table.date_partition, "2026/10/01")
    assert [g.name for g in tree.args["group"].expressions] == ["host", "port", "kind", "outcome"]


def test_the_printed_text_is_two_statements(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The command writes the DDL and the query (with comments) to -o; Athena's parser reads both."""
    out = tmp_path / "athena.sql"
    argv = ["athena-sql", "--source", "vpc-flow", "--bucket", "central-logs", "--accounts", ACCOUNTS]
    code = main([*argv, "--regions", "us-east-1", "--since", SINCE, "-o", str(out)])
    assert code == 0 and capsys.readouterr().out == ""
    statements = sqlglot.parse(out.read_text(), read="athena")
    assert [type(s).__name__ for s in statements] == ["Create", "Select"]
    assert "edit them to your flow log's format" in out.read_text()


def test_private_regex_agrees_with_the_flow_log_reader() -> None:
    """The query's egress test keeps the same side as the vpc-flow reader's private networks."""
    samples = [
        "10.0.0.1", "10.255.1.2", "172.16.0.1", "172.31.255.255", "172.32.0.1", "172.15.0.1", "192.168.3.4",
        "192.169.0.1", "100.64.0.1", "100.127.255.255", "100.128.0.1", "100.63.0.1", "8.8.8.8", "151.101.0.223",
        "fd12:3456::1", "fc00::1", "fe80::1", "2600:1f18::1",
    ]  # fmt: skip
    for address in samples:
        ip = ipaddress.ip_address(address)
        private = any(ip.version == net.version and ip in net for net in PRIVATE_NETWORKS)
        assert bool(re.match(PRIVATE, address)) == private, address


def test_since_defaults_to_thirty_days_back() -> None:
    """No --since: 30 days before today."""
    req = request("vpc-flow", "central-logs", ACCOUNTS, "us-east-1", today=date(2026, 11, 10))
    assert req.since == date(2026, 10, 11)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


GOOD = {
    "--source": "route53-resolver",
    "--bucket": "central-logs",
    "--accounts": ACCOUNTS,
    "--regions": "us-east-1",
    "--vpcs": "vpc-0abc1234",
    "--since": SINCE,
}


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--bucket", "Central_Logs", "--bucket 'Central_Logs' is not an S3 bucket name (3 to 63 lower-case"),
        ("--bucket", "x'; DROP TABLE t; --", "is not an S3 bucket name"),
        ("--bucket", "ab", "is not an S3 bucket name"),
        ("--bucket", "logs..archive", "is not an S3 bucket name"),
        ("--bucket", "192.168.5.4", "an IP address, or a prefix or suffix AWS reserves"),
        ("--bucket", "xn--logs", "a prefix or suffix AWS reserves"),
        ("--bucket", "logs-s3alias", "a prefix or suffix AWS reserves"),
        ("--accounts", "11112222333", "--accounts: '11112222333' is not an AWS account id (12 digits)"),
        ("--accounts", "111122223333,12345678901a", "'12345678901a' is not an AWS account id"),
        ("--accounts", " , ", "--accounts: give at least one value"),
        (
            "--regions",
            "us-east-1,mars-north-1",
            "--regions: 'mars-north-1' is not an AWS region botocore lists",
        ),
        ("--regions", "us-east-1'--", "is not an AWS region botocore lists, e.g. us-east-1"),
        ("--vpcs", "vpc-xyz", "--vpcs: 'vpc-xyz' is not a VPC id"),
        (
            "--database",
            "Prod-DB",
            "--database 'Prod-DB': Athena names are lower-case letters, digits and underscores",
        ),
        ("--table", 'logs"; drop', "--table 'logs\"; drop': Athena names are"),
        ("--prefix", "../etc", "--prefix '../etc': egressmap takes key prefixes"),
        ("--prefix", "a'b", '--prefix "a\'b": egressmap takes key prefixes'),
        ("--since", "last week", "--since 'last week' is not a date (YYYY-MM-DD)"),
        ("--since", "2999-01-01", "--since 2999-01-01 is in the future"),
    ],
)
def test_a_bad_value_is_refused_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    """Exit 1, one line on stderr naming the flag and the rule, nothing printed."""
    args = {**GOOD, flag: value}
    code, out, err = run(capsys, "athena-sql", *(part for pair in args.items() for part in pair))
    assert (code, out) == (1, "")
    assert err.startswith("egressmap: error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--vpcs": None}, "--source route53-resolver needs --vpcs vpc-0abc1234,...: its S3 path names them"),
        ({"--source": "vpc-flow"}, "--vpcs applies to --source route53-resolver only"),
        (
            {"--vpcs": None, "--source": "network-firewall"},
            "--source network-firewall needs --firewalls NAME,...",
        ),
        ({"--firewalls": "fw_1"}, "--firewalls applies to --source network-firewall only"),
    ],
)
def test_path_lists_are_asked_for_by_the_log_types_that_need_them(
    capsys: pytest.CaptureFixture[str], changes: dict[str, str | None], message: str
) -> None:
    """Resolver paths name VPCs, Network Firewall paths name firewalls; giving them elsewhere is an error."""
    args = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    code, out, err = run(capsys, "athena-sql", *(part for pair in args.items() for part in pair))
    assert (code, out) == (1, "") and message in err


def test_an_unknown_source_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse refuses a log type it does not list (exit 2)."""
    with pytest.raises(SystemExit) as raised:
        main(
            [
                "athena-sql",
                "--source",
                "cloudtrail",
                "--bucket",
                "b-1",
                "--accounts",
                ACCOUNTS,
                "--regions",
                "us-east-1",
            ]
        )
    assert raised.value.code == 2
    assert "invalid choice: 'cloudtrail'" in capsys.readouterr().err
