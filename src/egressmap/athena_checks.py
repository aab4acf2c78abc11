"""Checks of every value ``egressmap athena-sql`` puts into SQL; each refuses a bad one naming its flag.

The rules: S3 bucket names as AWS states them
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), key prefixes of safe characters, 12-digit account ids, regions botocore lists, VPC ids, Network Firewall names
(botocore's ``ResourceName`` pattern), Athena database and table names (lower-case letters, digits, underscores)
and dates. No accepted value holds a quote, a backslash or white space.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, timedelta

from .classify.aws_data import REGION_LIKE, region_partitions
from .errors import ConfigError

DEFAULT_DAYS = 30
"""How far back ``--since`` reaches when not given."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
_PREFIX = re.compile(r"^[A-Za-z0-9._/-]{1,512}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_VPC = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")
_FIREWALL = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
_NAME = re.compile(r"^[a-z0-9_]{1,255}$")


def listed(flag: str, text: str, check: Callable[[str, str], str]) -> tuple[str, ...]:
    """A comma-separated flag's values, each checked, duplicates dropped (order kept)."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{flag}: give at least one value (comma-separated)")
    return tuple(dict.fromkeys(check(flag, item) for item in items))


def bucket(name: str) -> str:
    """An S3 general purpose bucket name."""
    rules = "3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if not _BUCKET.match(name) or ".." in name:
        raise ConfigError(f"--bucket {name[:80]!r} is not an S3 bucket name ({rules})")
    if _is_ipv4(name) or name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        raise ConfigError(
            f"--bucket {name!r} is not an S3 bucket name (an IP address, or a prefix or suffix AWS reserves)"
        )
    return name


def _is_ipv4(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def prefix(prefix: str) -> str:
    """A key prefix without its leading and trailing slashes ("" for none)."""
    cleaned = prefix.strip("/")
    if not cleaned:
        return ""
    if (
        not _PREFIX.match(cleaned)
        or "//" in cleaned
        or any(part in (".", "..") for part in cleaned.split("/"))
    ):
        raise ConfigError(
            f"--prefix {prefix[:80]!r}: egressmap takes key prefixes of letters, digits, '.', '_', '-' and '/'"
        )
    return cleaned


def account(flag: str, value: str) -> str:
    """A 12-digit AWS account id."""
    if not _ACCOUNT.match(value):
        raise ConfigError(f"{flag}: {value[:40]!r} is not an AWS account id (12 digits)")
    return value


def region(flag: str, value: str) -> str:
    """A region botocore lists (:func:`egressmap.classify.aws_data.region_partitions`)."""
    if value in region_partitions():
        return value
    hint = " (shaped like one: upgrade botocore if it is new)" if REGION_LIKE.match(value) else ""
    raise ConfigError(f"{flag}: {value[:40]!r} is not an AWS region botocore lists{hint}, e.g. us-east-1")


def vpc(flag: str, value: str) -> str:
    """A VPC id: ``vpc-`` and 8 or 17 hex digits."""
    if not _VPC.match(value):
        raise ConfigError(f"{flag}: {value[:40]!r} is not a VPC id (vpc- and 8 or 17 hex digits)")
    return value


def firewall(flag: str, value: str) -> str:
    """A Network Firewall name (botocore's ``ResourceName``: letters, digits, hyphens, 1 to 128)."""
    if not _FIREWALL.match(value):
        raise ConfigError(f"{flag}: {value[:40]!r} is not a Network Firewall name (letters, digits, hyphens)")
    return value


def athena_name(flag: str, value: str) -> str:
    """An Athena database or table name: lower-case letters, digits and underscores."""
    if not _NAME.match(value):
        raise ConfigError(
            f"{flag} {value[:80]!r}: Athena names are lower-case letters, digits and underscores"
        )
    return value


def since(text: str | None, today: date) -> date:
    """The first day: ``YYYY-MM-DD`` (or ``YYYY/MM/DD``), not in the future; :data:`DEFAULT_DAYS` back when None."""
    if text is None:
        return today - timedelta(days=DEFAULT_DAYS)
    try:
        day = date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise ConfigError(f"--since {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    if day > today:
        raise ConfigError(f"--since {day.isoformat()} is in the future")
    return day
