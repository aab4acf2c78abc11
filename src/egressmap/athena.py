"""Athena SQL for teams whose logs already sit in S3: a table with partition projection, and an aggregate query.

The query's CSV result is what ``build`` and ``scan`` read (:mod:`egressmap.sources.athena_csv`; docs/athena.md).

Every value that goes into the SQL is checked first and refused with a :class:`~egressmap.errors.ConfigError`
naming the flag: S3 bucket names (AWS's naming rules), key prefixes, 12-digit account ids, region names botocore
lists, VPC ids, firewall names, database and table names (lower-case letters, digits and underscores), dates.
Nothing the user typed is ever pasted into SQL unchecked. The tables themselves are data
(:mod:`egressmap.athena_tables`); this module renders them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from . import athena_checks as checks
from .athena_tables import RESERVED, TABLES, LogTable
from .errors import ConfigError
from .sources.athena_csv import CSV_COLUMNS, MAX_CLIENTS

__all__ = ["AthenaRequest", "AthenaSql", "ddl", "query", "render", "request"]

DATE_FORMAT = "%Y/%m/%d"
"""The projected date's layout in the S3 path (``yyyy/MM/dd``)."""
TABLE_HEADING = (
    "-- 1. The table, once (partition projection: no MSCK REPAIR TABLE, no ALTER TABLE ADD PARTITION):"
)
QUERY_HEADING = "-- 2. The aggregate; save its result as CSV and give that file to egressmap build or scan:"


@dataclass(frozen=True)
class AthenaRequest:
    """What ``athena-sql`` was asked for, every value checked (build it with :func:`request`)."""

    table: LogTable
    bucket: str
    prefix: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    vpcs: tuple[str, ...]
    firewalls: tuple[str, ...]
    database: str
    table_name: str
    since: date

    def values(self, option: str) -> tuple[str, ...]:
        """The values of a list option (``regions``, ``vpcs``, ``firewalls``)."""
        found: tuple[str, ...] = getattr(self, option)
        return found

    @property
    def logs(self) -> str:
        """``s3://bucket[/prefix]/AWSLogs/``: where AWS delivers the logs."""
        return f"s3://{self.bucket}/{self.prefix + '/' if self.prefix else ''}AWSLogs/"


@dataclass(frozen=True)
class AthenaSql:
    """The two statements: the table's DDL and the aggregate query."""

    ddl: str
    query: str
    header: str
    """The comment lines printed before the statements."""

    def text(self) -> str:
        """What the command prints: comments, the DDL, then the query, each statement ending in ``;``."""
        return f"{self.header}{self.ddl};\n\n{QUERY_HEADING}\n{self.query};\n"


def request(
    source: str,
    bucket: str,
    accounts: str,
    regions: str,
    *,
    prefix: str | None = None,
    vpcs: str | None = None,
    firewalls: str | None = None,
    database: str | None = None,
    table: str | None = None,
    since: str | None = None,
    today: date | None = None,
) -> AthenaRequest:
    """Check every value (comma-separated lists as the flags take them); :class:`ConfigError` names a bad one."""
    if source not in TABLES:
        raise ConfigError(f"--source {source!r}: choose one of {', '.join(TABLES)}")
    spec = TABLES[source]
    wanted = {option for _, option in (*spec.enums, *spec.column_filters)}
    lists = {
        "vpcs": (vpcs, checks.vpc, "vpc-0abc1234,..."),
        "firewalls": (firewalls, checks.firewall, "NAME,..."),
    }
    checked: dict[str, tuple[str, ...]] = {}
    for option, (given, check, example) in lists.items():
        flag = f"--{option}"
        if option in wanted and not given:
            raise ConfigError(f"--source {source} needs {flag} {example}: its S3 path names them")
        if option not in wanted and given:
            raise ConfigError(f"{flag} applies to --source {' or '.join(_users(option))} only")
        checked[option] = checks.listed(flag, given or "", check) if given else ()
    return AthenaRequest(
        table=spec,
        bucket=checks.bucket(bucket),
        prefix=checks.prefix(prefix or ""),
        accounts=checks.listed("--accounts", accounts, checks.account),
        regions=checks.listed("--regions", regions, checks.region),
        vpcs=checked["vpcs"],
        firewalls=checked["firewalls"],
        database=checks.athena_name("--database", database or "default"),
        table_name=checks.athena_name("--table", table or spec.default_table),
        since=checks.since(since, today or datetime.now(UTC).date()),
    )


def render(req: AthenaRequest) -> AthenaSql:
    """The DDL and the query for a checked request."""
    spec = req.table
    header = (
        f"-- egressmap athena-sql: {spec.title} under {req.logs}\n"
        f"-- accounts {', '.join(req.accounts)}; regions {', '.join(req.regions)}; from {req.since.isoformat()}\n"
        + "".join(f"-- {line}\n" for line in spec.notes)
        + f"{TABLE_HEADING}\n"
    )
    return AthenaSql(ddl=ddl(req), query=query(req), header=header)


def ddl(req: AthenaRequest) -> str:
    """``CREATE EXTERNAL TABLE`` with AWS's columns and storage, partitioned by account, the enums and the date."""
    spec = req.table
    partitions = ("accid", *(name for name, _ in spec.enums), spec.date_partition)
    template = (
        f"{req.logs}${{accid}}/{spec.service_path}/"
        + "".join(f"${{{name}}}/" for name, _ in spec.enums)
        + f"${{{spec.date_partition}}}/"
    )
    day = spec.date_partition
    properties = [
        *spec.properties,
        ("projection.enabled", "true"),
        ("projection.accid.type", "enum"),
        ("projection.accid.values", ",".join(req.accounts)),
        *(
            pair
            for name, option in spec.enums
            for pair in (
                (f"projection.{name}.type", "enum"),
                (f"projection.{name}.values", ",".join(req.values(option))),
            )
        ),
        (f"projection.{day}.type", "date"),
        (f"projection.{day}.range", f"{req.since.strftime(DATE_FORMAT)},NOW"),
        (f"projection.{day}.format", "yyyy/MM/dd"),
        *((f"projection.{day}.{key}", value) for key, value in spec.date_properties),
        ("storage.location.template", template),
    ]
    lines = [
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{req.database}`.`{req.table_name}` (",
        ",\n".join(f"  {_ddl_name(name)} {kind}" for name, kind in spec.columns),
        ")",
        f"PARTITIONED BY ({', '.join(f'{_ddl_name(p)} string' for p in partitions)})",
        *spec.storage,
        f"LOCATION {_literal(req.logs)}",
        "TBLPROPERTIES (",
        ",\n".join(f"  {_literal(key)} = {_literal(value)}" for key, value in properties),
        ")",
    ]
    return "\n".join(lines)


def query(req: AthenaRequest) -> str:
    """The aggregate: one row per host, port, kind and outcome, its columns :data:`CSV_COLUMNS`."""
    spec = req.table
    where = [
        f"accid IN ({_literals(req.accounts)})",
        *(f"{_dml_name(name)} IN ({_literals(req.values(option))})" for name, option in spec.enums),
        f"{_dml_name(spec.date_partition)} >= {_literal(req.since.strftime(DATE_FORMAT))}",
        *(
            f"{_dml_name(column)} IN ({_literals(req.values(option))})"
            for column, option in spec.column_filters
        ),
        *spec.filters,
    ]
    outputs = {
        "log_type": _literal(spec.source),
        "host": "host",
        "port": "port",
        "kind": "kind",
        "outcome": "outcome",
        "count": "count(*)",
        "first_seen": "to_iso8601(min(seen))",
        "last_seen": "to_iso8601(max(seen))",
        "clients": f"array_join(slice(array_sort(array_agg(DISTINCT client)), 1, {MAX_CLIENTS}), ' ')",
    }
    assert tuple(outputs) == CSV_COLUMNS  # the reader's header, in its order
    lines = [
        "WITH events AS (",
        "  SELECT",
        ",\n".join(f"    {expression} AS {name}" for name, expression in spec.events),
        f'  FROM "{req.database}"."{req.table_name}"',
        "  WHERE " + "\n    AND ".join(where),
        ")",
        "SELECT",
        ",\n".join(f'  {expression} AS "{name}"' for name, expression in outputs.items()),
        "FROM events",
        "WHERE keep AND host IS NOT NULL AND host <> ''",
        "GROUP BY host, port, kind, outcome",
        "ORDER BY host, port, kind, outcome",
    ]
    return "\n".join(lines)


def _users(option: str) -> list[str]:
    return [s.source for s in TABLES.values() if option in {o for _, o in (*s.enums, *s.column_filters)}]


def _ddl_name(name: str) -> str:
    return f"`{name}`" if name in RESERVED else name


def _dml_name(name: str) -> str:
    return f'"{name}"' if name in RESERVED else name


def _literal(value: str) -> str:
    """A SQL string literal. Checked values hold no quote or backslash; doubling quotes is a second guard."""
    assert "\\" not in value  # Hive reads a backslash as an escape; no checked value holds one
    return "'" + value.replace("'", "''") + "'"


def _literals(values: Iterable[str]) -> str:
    return ", ".join(_literal(v) for v in values)
