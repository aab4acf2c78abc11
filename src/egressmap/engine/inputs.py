"""What ``--engine dask`` reads: sources expanded into inputs, and inputs planned as tasks.

A ``SOURCE`` is expanded by :func:`expand`:

- a directory stands for the files under it, at any depth, sorted by path; names that start with a dot (files
  and directories) are left out, and links to directories are not followed;
- a pattern with ``*``, ``?`` or ``[`` (quoted, so that the shell leaves it alone) stands for the paths it matches,
  sorted, ``**`` matching any depth; a directory it matches is expanded as above; a pattern that matches nothing
  is kept as it is, and reported as an input that cannot be read;
- ``s3://BUCKET[/PREFIX]`` stands for every object under the prefix (``s3://BUCKET/PREFIX/*.gz`` for those the
  pattern matches), sorted by key, listed with s3fs (credentials and endpoint from the standard AWS settings);
- anything else is one input, as given. A file named twice is read twice, as by the local engine.

:func:`plan` makes one :class:`Task` per input, except that a plain (uncompressed) local file of at least the
chunk size, in a format whose lines are read one by one (:data:`RANGE_FORMATS`), is cut into byte ranges of about
that size: each task reads the lines that begin in its range (``sources/reader.py`` ``read_range``).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..correlate import plan as bypass_plan
from ..errors import ConfigError, InputError
from ..ingest import InputReport
from ..sources import SourceOptions, build_sources, choose
from ..sources.interface import Source
from ..sources.reader import InputStream

DEFAULT_CHUNK = 64 * 1024 * 1024
"""Plain files of at least this many bytes are read in byte ranges of about this size."""
RANGE_FORMATS = frozenset(
    {"squid", "squid-common", "squid-combined", "squid-custom", "squid-auto", "list", "record",
     "route53-resolver", "aws-network-firewall", "suricata-eve"}
)  # fmt: skip
"""Formats whose records are single lines read apart from the others. Free text, VPC flow logs and Zeek logs
carry what they read (a header line, the lines before) from line to line, so their files are read whole."""
_MAGIC = re.compile(r"[*?[]")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: an input, or one byte range of a big plain file."""

    path: str
    """A local path or ``s3://bucket/key``."""
    byte_range: tuple[int, int] | None = None
    """[start, end) of the file's bytes whose lines this task reads; None for the whole input."""
    index: int = 0
    """The input's place among all inputs (a file named twice is two inputs)."""
    part: int = 0
    """This range's place among the file's ranges (0 for a whole input)."""
    parts: int = 1
    """How many ranges the file was cut into."""

    def describe(self) -> str:
        """The input and, for a range, which bytes: for error messages.

        >>> Task("big.log", (0, 1024), 0, 0, 4).describe()
        'big.log (bytes 0-1023, part 1 of 4)'
        """
        if self.byte_range is None:
            return self.path
        start, end = self.byte_range
        return f"{self.path} (bytes {start}-{end - 1}, part {self.part + 1} of {self.parts})"


def object_uri(bucket: str, key: str) -> str:
    """How an S3 object is named as an input and in sources (``s3://bucket/key``, then ``:LINE``).

    >>> object_uri("logs", "AWSLogs/1/vpcflowlogs/x.log.gz")
    's3://logs/AWSLogs/1/vpcflowlogs/x.log.gz'
    """
    return f"s3://{bucket}/{key}"


def parse_size(text: str) -> int:
    """Bytes from ``64MiB``, ``64M``, ``1GB``, ``512k`` or a plain number (units are powers of 1024).

    >>> parse_size("64MiB"), parse_size("1g"), parse_size("4096")
    (67108864, 1073741824, 4096)
    """
    found = _SIZE.match(text)
    if found is None or float(found.group(1)) <= 0:
        raise ConfigError(f"cannot read the size {text!r}: give bytes, or a number with K, M, G or T (64MiB)")
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


def expand(sources: Sequence[str]) -> list[str | InputReport]:
    """The inputs the sources stand for, in order; an ``s3://`` source that cannot be listed is its report."""
    paths: list[str | InputReport] = []
    for source in sources:
        if source == "-":
            raise ConfigError(
                "--engine dask cannot read stdin ('-'): give files, directories or s3:// prefixes"
            )
        if source.startswith("s3://"):
            try:
                paths.extend(list_objects(source))
            except InputError as exc:
                paths.append(InputReport(source, error=str(exc)))
        elif Path(source).is_dir():
            paths.extend(_walk(source))
        elif _MAGIC.search(source) and not os.path.lexists(source):
            matches = sorted(glob.glob(source, recursive=True))
            for match in matches or [source]:
                paths.extend(_walk(match) if Path(match).is_dir() else [match])
        else:
            paths.append(source)
    return paths


def _walk(directory: str) -> Iterator[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, f) for f in files if not f.startswith("."))
    yield from sorted(found)


def list_objects(uri: str) -> list[str]:
    """The ``s3://`` URIs of the objects under a prefix (or matching a pattern), sorted; InputError if none."""
    if "=" in uri.partition("?")[2]:
        raise ConfigError(
            f"{uri}: --engine dask reads s3://BUCKET/PREFIX (a pattern allowed), without ?options"
        )
    try:
        import s3fs
    except ImportError as exc:
        raise ConfigError(f"{uri}: reading s3:// needs s3fs: pip install 'egressmap[dask]'") from exc
    fs = s3fs.S3FileSystem()
    target = uri[len("s3://") :]
    try:
        if _MAGIC.search(target):
            found = fs.glob(target, detail=True)
        else:
            found = fs.find(target, detail=True)
    except Exception as exc:  # s3fs raises botocore, aiohttp and OS errors: any is this input's failure
        raise InputError(f"{uri}: cannot list the objects ({type(exc).__name__}: {exc})") from exc
    keys = sorted(
        name for name, info in found.items() if info.get("type") == "file" and not name.endswith("/")
    )
    if not keys:
        raise InputError(f"{uri}: no object under this prefix")
    return [object_uri(*name.split("/", 1)) for name in keys]


def plan(paths: Sequence[str], chunk: int, wanted: str, options: SourceOptions | None) -> list[Task]:
    """One task per input; a big plain file in a line-by-line format, one per byte range of about ``chunk``.

    Network evidence (DNS, firewall logs) is read whole when the inputs hold a proxy log too: the finding of
    what went around the proxy weighs each counted observation's time span against the proxy log's, and
    counting a file by parts would cut those spans differently.
    """
    sources = build_sources(options)
    big = {
        n: found
        for n, path in enumerate(paths)
        if (found := _big_plain(path, chunk, wanted, options, sources))
    }
    if (
        any(source.role == "network" for _, source in big.values())
        and bypass_plan(paths, sources, wanted, options).bypass
    ):
        big = {n: (size, source) for n, (size, source) in big.items() if source.role != "network"}
    tasks: list[Task] = []
    for index, path in enumerate(paths):
        if index not in big:
            tasks.append(Task(path, None, index))
            continue
        size = big[index][0]
        parts = -(-size // chunk)
        bounds = [size * n // parts for n in range(parts + 1)]
        tasks.extend(Task(path, (bounds[n], bounds[n + 1]), index, n, parts) for n in range(parts))
    return tasks


def _big_plain(
    path: str, chunk: int, wanted: str, options: SourceOptions | None, sources: Mapping[str, Source]
) -> tuple[int, Source] | None:
    """The size and format of a local plain file worth cutting into ranges (None otherwise)."""
    if path.startswith("s3://"):
        return None
    try:
        if not Path(path).is_file() or (size := os.path.getsize(path)) < chunk:
            return None
        stream = InputStream(path)
    except (OSError, InputError):
        return None  # reported when the task reads it
    try:
        if not stream.plain_file or stream.capture:
            return None
        source = choose(stream.head, sources, wanted, stream.origin, options)
    except InputError:
        return None
    finally:
        stream.close()
    kind = source.name.split(" ")[0].split(":")[0]  # (squid-custom:NAME, squid-auto (inferred layout: ...))
    return (size, source) if kind in RANGE_FORMATS else None


__all__ = ["DEFAULT_CHUNK", "RANGE_FORMATS", "Task", "expand", "object_uri", "parse_size", "plan"]
