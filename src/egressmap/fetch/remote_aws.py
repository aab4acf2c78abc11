"""How ``s3://`` and ``cloudwatch://`` sources are listed and opened (see :mod:`.remote` for their form).

>>> split_query("cloudwatch:///aws/x?since=2d&stream-prefix=a%2Fb", CLOUDWATCH_KEYS)
('cloudwatch:///aws/x', {'since': ['2d'], 'stream-prefix': ['a/b']})
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import BinaryIO, NoReturn, cast
from urllib.parse import parse_qs

from ..errors import InputError
from ..model import Skipped
from ..sources.reader import InputStream, Progress
from . import cloudwatch
from .aws import FetchError, make_client, parse_time
from .remote import Opener
from .s3 import DEFAULT_MAX_BYTES, S3Object, check_size, list_logs, make_query, nothing_found, parse_size
from .s3_layout import KINDS
from .s3_read import ChunkStream, ObjectStream

S3_KEYS = ("since", "until", "account", "region", "source", "max-size")
CLOUDWATCH_KEYS = ("since", "until", "stream-prefix", "filter-pattern")
SIZE_ADVICE = (
    "add max-size=SIZE (e.g. max-size=5G) to the source, or narrow since, until, account, region or source"
)


def inputs_of(uri: str) -> Iterator[tuple[str, Opener]]:
    """The inputs an ``s3://`` or ``cloudwatch://`` source stands for, each with how to open it."""
    if uri.startswith("s3://"):
        yield from _s3_inputs(uri)
    else:
        yield uri, partial(_cloudwatch_input, uri)


def split_query(uri: str, keys: tuple[str, ...]) -> tuple[str, dict[str, list[str]]]:
    """The URI without its query string, and the options in it (each a list: keys may repeat)."""
    head, _, query = uri.partition("?")
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise FetchError(f"cannot read the options {query!r}: give KEY=VALUE pairs joined by &") from None
    unknown = sorted(set(params) - set(keys))
    if unknown:
        raise FetchError(
            f"unknown option {unknown[0]!r}: {head.split('://')[0]}:// sources take {', '.join(keys)}"
        )
    return head, params


def _values(params: dict[str, list[str]], key: str) -> list[str]:
    return [v.strip() for value in params.get(key, ()) for v in value.split(",") if v.strip()]


def _last(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    return values[-1] if values else None


def _s3_inputs(uri: str) -> Iterator[tuple[str, Opener]]:
    try:
        head, params = split_query(uri, S3_KEYS)
        query = make_query(
            head,
            _values(params, "account"),
            _values(params, "region"),
            _values(params, "source"),
            _last(params, "since"),
            _last(params, "until"),
        )
        size = _last(params, "max-size")
        client = make_client("s3", None, None, None, default_region="us-east-1")
        listing = list_logs(client, query)
        check_size(listing, uri, parse_size(size) if size else DEFAULT_MAX_BYTES, SIZE_ADVICE)
        if not listing.count():
            raise nothing_found(listing, uri)
    except FetchError as exc:
        yield uri, partial(_failed, uri, exc)
        return
    kinds = [kind for kind in KINDS if listing.objects.get(kind)]
    for kind in kinds:
        name = uri if len(kinds) == 1 else f"{uri} [{kind}]"
        notes = [(why, n) for why, n in listing.left_out.items() if kind == "vpc-flow"]
        yield name, partial(_s3_input, name, client, query.bucket, listing.objects[kind], notes)


def _s3_input(
    name: str,
    client: object,
    bucket: str,
    objects: list[S3Object],
    notes: list[tuple[str, int]],
    progress: Progress | None,
) -> InputStream:
    body = ObjectStream(client, bucket, objects, origin=name)
    stream = _opened(name, progress, body)
    stream.problems.extend(body.problems)  # found while the first block was read
    body.problems = stream.problems
    for why, count in notes:
        stream.problems.append(_note(name, why, count))
    return stream


def _note(name: str, why: str, count: int) -> Skipped:
    """A warning on the input's first line: objects found but left out (Parquet), with how many."""
    return Skipped(name, 1, f"{count} {why}", kind="warning", count=count)


def _cloudwatch_input(uri: str, progress: Progress | None) -> InputStream:
    try:
        head, params = split_query(uri, CLOUDWATCH_KEYS)
        group = head[len("cloudwatch://") :]
        if not group:
            raise FetchError("no log group: give cloudwatch://GROUP (cloudwatch:///aws/... for /aws/...)")
        since, until = _last(params, "since"), _last(params, "until")
        query = cloudwatch.Query(
            group=None if group.startswith("arn:") else group,
            identifier=group if group.startswith("arn:") else None,
            stream_prefix=_last(params, "stream-prefix"),
            start_ms=parse_time(since) if since else None,
            end_ms=parse_time(until) if until else None,
            filter_pattern=_last(params, "filter-pattern"),
        )
        client = cloudwatch.make_client(None, None, None)
    except FetchError as exc:
        _failed(uri, exc, progress)
    # named without the options, so sources read cloudwatch://GROUP:LINE (GROUP STREAM)
    return _opened(head, progress, ChunkStream(_event_lines(client, query)))


def _event_lines(client: object, query: cloudwatch.Query) -> Iterator[bytes]:
    """Each page's events as ``GROUP STREAM TIME MESSAGE`` lines, as ``fetch cloudwatch`` writes them."""
    label = query.label()
    for events, _ in cloudwatch.pages(client, query):
        yield "".join(line for event in events for line in cloudwatch.event_lines(label, event)).encode()


def _opened(name: str, progress: Progress | None, body: ChunkStream) -> InputStream:
    """The input over ``body``; an AWS error while its first block is read makes it an input not read."""
    try:
        return InputStream(name, progress, opened=cast(BinaryIO, body))
    except FetchError as exc:
        body.close()
        _failed(name, exc, progress)


def _failed(name: str, exc: FetchError, progress: Progress | None = None) -> NoReturn:
    """Raise the input error naming the source (``progress`` is there to stand for an opener)."""
    text = str(exc)
    raise InputError(text if text.startswith(name) else f"{name}: {text}")
