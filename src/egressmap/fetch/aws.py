"""What the AWS fetchers share: clients from the standard credential chain, times, and AWS errors as one line.

boto3 is imported only inside these functions (the ``[aws]`` extra), never when the module loads. Every botocore
exception that reaches a fetcher leaves it as a :class:`FetchError` whose message is one line saying what to do.

>>> parse_time("2d", now=200000.0)
27200000
>>> rejected_line("ExpiredToken")
'the AWS session token has expired: refresh the credentials (aws sso login, or new keys)'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ..errors import EgressmapError

INSTALL_HINT = "pip install 'egressmap[aws]'"

THROTTLED = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
"""Error codes that mean "slow down" (CloudWatch Logs and the general AWS forms)."""
_EXPIRED = frozenset({"ExpiredTokenException", "ExpiredToken", "RequestExpired"})
_REJECTED = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "InvalidAccessKeyId",  # S3's words for the same
        "SignatureDoesNotMatch",
    }
)


class FetchError(EgressmapError):
    """A fetch cannot go on: no credentials, access denied, no such group or bucket, an expired token..."""


def parse_time(text: str, now: float | None = None) -> int:
    """Milliseconds since the epoch from ``2d``/``3h``/``30m``/``1w``/``90s`` ago, or an ISO 8601 time (UTC if bare).

    >>> parse_time("2026-11-03T09:14:21Z")
    1793697261000
    """
    text = text.strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if len(text) > 1 and text[-1] in units and text[:-1].isdigit():
        base = time.time() if now is None else now
        return int((base - int(text[:-1]) * units[text[-1]]) * 1000)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FetchError(
            f"cannot read the time {text!r}: give a duration ago (30m, 6h, 2d, 1w) or an ISO 8601 time"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def make_client(
    service: str,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    default_region: str | None = None,
) -> Any:
    """A boto3 client from the standard chain (profile, environment, instance role).

    Without a region anywhere, ``default_region`` is used, or the fetch stops with one line when there is none.
    """
    try:
        import boto3
        import botocore.exceptions
    except ImportError:
        raise FetchError(f"fetching from AWS needs boto3: {INSTALL_HINT}") from None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise FetchError(f"{exc}: check --profile and ~/.aws/config") from None
    name = session.region_name or default_region
    if name is None:
        raise FetchError("no AWS region: give --region or set AWS_REGION (or a region in the profile)")
    return session.client(service, region_name=name, endpoint_url=endpoint_url)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` ("" for anything else)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def rejected_line(code: str) -> str | None:
    """The line for an error code about the credentials themselves (expired, unknown key); None otherwise."""
    if code in _EXPIRED:
        return "the AWS session token has expired: refresh the credentials (aws sso login, or new keys)"
    if code in _REJECTED:
        return f"AWS rejected the credentials ({code}): check the access key, secret and session token"
    return None


def transport_line(exc: Exception, service: str) -> str | None:
    """The line for a botocore failure that is not an AWS answer (no credentials, no connection); else None."""
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return (
            "no AWS credentials found: set a profile (--profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run where an instance role is attached"
        )
    if isinstance(exc, botocore.exceptions.TokenRetrievalError):
        return f"AWS credentials could not be refreshed ({exc}): log in again (aws sso login)"
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"cannot reach {service}: {exc}"
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return f"{service}: {' '.join(str(exc).split())}"
    return None


@contextmanager
def aws_errors(service: str, explain: Callable[[str, str], str]) -> Iterator[None]:
    """Turn botocore exceptions raised inside into one-line :class:`FetchError`.

    ``explain(code, detail)`` words the service's own error codes (access denied, no such bucket...).
    """
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        raise FetchError(rejected_line(code) or explain(code, " ".join(str(exc).split()))) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise FetchError(transport_line(exc, service) or str(exc)) from None
