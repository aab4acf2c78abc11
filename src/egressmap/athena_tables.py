"""The three Athena tables ``egressmap athena-sql`` writes, as data (:mod:`egressmap.athena` renders them).

For each log type: AWS's documented columns, storage and S3 layout, and the expressions that turn a record into a
row of the aggregate.

Sources (read 2026; see docs/athena.md):

* Resolver: https://docs.aws.amazon.com/athena/latest/ug/querying-r53-resolver-logs-partitioning-example.html
  (columns, JSON SerDe, partitions ``vpc`` and ``date`` under ``AWSLogs/<account>/vpcdnsquerylogs/``);
* flow logs: https://docs.aws.amazon.com/athena/latest/ug/vpc-flow-logs-partition-projection.html (columns,
  space-delimited text with a header line, partitions ``accid``, ``region``, ``day``);
* Network Firewall: https://docs.aws.amazon.com/athena/latest/ug/querying-network-firewall-logs-sample-alert-logs-table.html
  (columns, JSON SerDe) and https://docs.aws.amazon.com/network-firewall/latest/developerguide/logging-s3.html
  (``AWSLogs/<account>/network-firewall/<log type>/<region>/<firewall>/<time>/``); AWS documents no projection
  for it, so egressmap projects it the way the flow-log table is projected.

What egressmap adds: the ``accid`` partition on the Resolver table (as AWS's flow-log table has it, for buckets
that collect several accounts) and, on the Network Firewall table, ``event.tls.sni`` and ``event.http.hostname``
(Suricata's EVE alert records carry the protocol's fields there; the Network Firewall reader reads them too).
"""

from __future__ import annotations

from dataclasses import dataclass

JSON_SERDE = ("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'",)
TEXT_IO = (
    "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
)
PRIVATE = r"^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|[fF][cdCD][0-9a-fA-F]{2}:)"
"""A VPC's own addresses (RFC 1918, CGNAT, ULA), as :data:`egressmap.sources.vpc_flow.PRIVATE_NETWORKS`: the side
an outbound flow leaves from (a regular expression for ``regexp_like``)."""
RESERVED = frozenset({"end", "date", "timestamp"})
"""Column names Athena reserves: backticks in DDL, double quotes in queries."""


@dataclass(frozen=True)
class LogTable:
    """One log type's table and how its records become aggregate rows."""

    source: str
    """The ``--source`` name, also the rows' ``log_type``."""
    title: str
    default_table: str
    columns: tuple[tuple[str, str], ...]
    """(name, Hive type), in the documented order."""
    storage: tuple[str, ...]
    """The ``ROW FORMAT`` (and ``STORED AS``) lines."""
    properties: tuple[tuple[str, str], ...]
    """Table properties before the projection ones (the flow log's header line)."""
    service_path: str
    """The S3 path after ``AWSLogs/<account>/`` up to the enum partitions: ``vpcflowlogs``..."""
    enums: tuple[tuple[str, str], ...]
    """Enum-projected partitions in path order after the account: (partition, the option giving its values)."""
    date_partition: str
    date_properties: tuple[tuple[str, str], ...]
    """Extra date projection properties (the Resolver example sets the interval)."""
    events: tuple[tuple[str, str], ...]
    """(name, expression) per record: host, port, kind, outcome, seen (a timestamp), client and keep."""
    filters: tuple[str, ...] = ()
    """Conditions on the raw records besides the partitions."""
    column_filters: tuple[tuple[str, str], ...] = ()
    """(column, option): a column that must be one of the option's values (Resolver's ``region``)."""
    notes: tuple[str, ...] = ()
    """What the user must check before running the DDL (printed as comments)."""


def _name(field: str) -> str:
    """A name from a log field: NULL when absent, empty or ``-``."""
    return f"NULLIF(NULLIF({field}, '-'), '')"


_R53_COLUMNS = (
    ("version", "string"), ("account_id", "string"), ("region", "string"), ("vpc_id", "string"),
    ("query_timestamp", "string"), ("query_name", "string"), ("query_type", "string"),
    ("query_class", "string"), ("rcode", "string"),
    ("answers", "array<struct<Rdata: string, Type: string, Class: string>>"),
    ("srcaddr", "string"), ("srcport", "int"), ("transport", "string"),
    ("srcids", "struct<instance: string, resolver_endpoint: string>"),
    ("firewall_rule_action", "string"), ("firewall_rule_group_id", "string"),
    ("firewall_domain_list_id", "string"),
)  # fmt: skip
_R53_OUTCOME = (
    "CASE WHEN firewall_rule_action = 'BLOCK' THEN 'denied' WHEN rcode = 'NXDOMAIN' THEN 'nxdomain' "
    "WHEN rcode = 'SERVFAIL' THEN 'failed' ELSE 'unknown' END"
)
ROUTE53_RESOLVER = LogTable(
    source="route53-resolver",
    title="Route 53 Resolver query logs",
    default_table="r53_rlogs",
    columns=_R53_COLUMNS,
    storage=(*JSON_SERDE, *TEXT_IO),
    properties=(),
    service_path="vpcdnsquerylogs",
    enums=(("vpc", "vpcs"),),
    date_partition="date",
    date_properties=(("interval", "1"), ("interval.unit", "DAYS")),
    events=(
        ("host", r"lower(regexp_replace(query_name, '\.$', ''))"),
        ("port", "CAST(NULL AS integer)"),
        ("kind", "'dns'"),
        ("outcome", _R53_OUTCOME),
        ("seen", "TRY(from_iso8601_timestamp(query_timestamp))"),
        ("client", "srcaddr"),
        ("keep", r"NOT regexp_like(query_name, '(?i)\.(in-addr|ip6)\.arpa\.?$')"),
    ),
    column_filters=(("region", "regions"),),
)

_FLOW_COLUMNS = (
    ("version", "int"), ("account_id", "string"), ("interface_id", "string"), ("srcaddr", "string"),
    ("dstaddr", "string"), ("srcport", "int"), ("dstport", "int"), ("protocol", "bigint"),
    ("packets", "bigint"), ("bytes", "bigint"), ("start", "bigint"), ("end", "bigint"),
    ("action", "string"), ("log_status", "string"), ("vpc_id", "string"), ("subnet_id", "string"),
    ("instance_id", "string"), ("tcp_flags", "int"), ("type", "string"), ("pkt_srcaddr", "string"),
    ("pkt_dstaddr", "string"), ("az_id", "string"), ("sublocation_type", "string"),
    ("sublocation_id", "string"), ("pkt_src_aws_service", "string"), ("pkt_dst_aws_service", "string"),
    ("flow_direction", "string"), ("traffic_path", "int"),
)  # fmt: skip
_FLOW_DST = "CASE WHEN pkt_dstaddr IS NULL OR pkt_dstaddr = '-' THEN dstaddr ELSE pkt_dstaddr END"
_FLOW_SRC = "CASE WHEN pkt_srcaddr IS NULL OR pkt_srcaddr = '-' THEN srcaddr ELSE pkt_srcaddr END"
VPC_FLOW = LogTable(
    source="vpc-flow",
    title="VPC flow logs",
    default_table="vpc_flow_logs",
    columns=_FLOW_COLUMNS,
    storage=("ROW FORMAT DELIMITED", "FIELDS TERMINATED BY ' '"),
    properties=(("skip.header.line.count", "1"),),
    service_path="vpcflowlogs",
    enums=(("region", "regions"),),
    date_partition="day",
    date_properties=(),
    events=(
        ("host", f"lower({_FLOW_DST})"),
        ("port", "dstport"),
        ("kind", "'connect'"),
        (
            "outcome",
            "CASE action WHEN 'ACCEPT' THEN 'allowed' WHEN 'REJECT' THEN 'denied' ELSE 'unknown' END",
        ),
        ("seen", "from_unixtime(start)"),
        ("client", f"lower({_FLOW_SRC})"),
        (
            "keep",
            f"(flow_direction = 'egress' OR (COALESCE(flow_direction, '-') = '-' "
            f"AND regexp_like({_FLOW_SRC}, '{PRIVATE}') AND NOT regexp_like({_FLOW_DST}, '{PRIVATE}')))",
        ),
    ),
    filters=("log_status = 'OK'", "protocol IN (6, 17)"),
    notes=(
        "The columns are AWS's for the v2-v5 fields in its documented order; a flow log's text columns are",
        "read by position: edit them to your flow log's format, in its order (the default v2 format is the",
        "first 14). The aggregate needs srcaddr, dstaddr, dstport, protocol, start, action and log_status.",
    ),
)

_NFW_HOST = ", ".join(
    _name(f)
    for f in ("event.tls.sni", "event.sni", "event.http.hostname", "event.dest_hostname", "event.dest_ip")
)
_NFW_DENY = "('blocked', 'drop', 'dropped', 'reject', 'rejected')"
_NFW_OUTCOME = (
    f"CASE WHEN lower(event.alert.action) IN {_NFW_DENY} OR lower(event.revocation_check.action) IN {_NFW_DENY} "
    "THEN 'denied' WHEN event.tls_error.error_message IS NOT NULL THEN 'failed' "
    "WHEN lower(event.alert.action) = 'allowed' THEN 'allowed' ELSE 'unknown' END"
)
NETWORK_FIREWALL = LogTable(
    source="network-firewall",
    title="AWS Network Firewall alert logs",
    default_table="network_firewall_alert_logs",
    columns=(
        ("firewall_name", "string"),
        ("availability_zone", "string"),
        ("event_timestamp", "string"),
        (
            "event",
            "struct<timestamp:string, flow_id:bigint, event_type:string, src_ip:string, src_port:int, "
            "dest_ip:string, dest_port:int, proto:string, app_proto:string, sni:string, tls_inspected:boolean, "
            "tls_error:struct<error_message:string>, "
            "revocation_check:struct<leaf_cert_fpr:string, status:string, action:string>, "
            "alert:struct<alert_id:string, alert_type:string, action:string, signature_id:int, rev:int, "
            "signature:string, category:string, severity:int, rule_name:string, alert_name:string, "
            "alert_severity:string, alert_description:string, file_name:string, file_hash:string, "
            "packet_capture:string, reference_links:array<string>>, "
            "src_country:string, dest_country:string, src_hostname:string, dest_hostname:string, "
            "user_agent:string, url:string, tls:struct<sni:string>, http:struct<hostname:string>>",
        ),
    ),
    storage=JSON_SERDE,
    properties=(),
    service_path="network-firewall/alert",
    enums=(("region", "regions"), ("firewall", "firewalls")),
    date_partition="day",
    date_properties=(),
    events=(
        ("host", rf"lower(regexp_replace(COALESCE({_NFW_HOST}), '\.$', ''))"),
        ("port", "event.dest_port"),
        ("kind", "'connect'"),
        ("outcome", _NFW_OUTCOME),
        ("seen", "from_unixtime(TRY_CAST(event_timestamp AS bigint))"),
        ("client", "event.src_ip"),
        (
            "keep",
            f"NOT (COALESCE(regexp_like(event.dest_ip, '{PRIVATE}'), false) "
            f"AND NOT COALESCE(regexp_like(event.src_ip, '{PRIVATE}'), false))",
        ),
    ),
)

TABLES: dict[str, LogTable] = {t.source: t for t in (ROUTE53_RESOLVER, VPC_FLOW, NETWORK_FIREWALL)}
"""Every log type ``athena-sql`` knows, by ``--source`` name."""
