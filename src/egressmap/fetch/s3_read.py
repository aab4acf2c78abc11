r"""S3 log objects read one after another as one text stream: a marker line, then each object's lines.

Each object's body is streamed and, when it starts with the gzip magic, decompressed on the fly (every member of a
multi-member gzip; at most :data:`OUT_MAX` bytes out per step, so a small object that inflates hugely never sits in
memory whole). Before its lines comes the marker ``#egressmap-object s3://bucket/key`` (see
:mod:`egressmap.sources.segments`), so ``scan`` and ``build`` name the object and its own line as the source of
what they find. A damaged object keeps the lines read before the damage and is reported with the line of its
marker; an object deleted between listing and reading (a lifecycle rule) is reported the same way.

>>> import gzip
>>> b"".join(inflate([gzip.compress(b"a\n") + gzip.compress(b"b\n")]))
b'a\nb\n'
"""

from __future__ import annotations

import io
import shutil
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..model import Skipped
from ..sources.segments import MARKER
from .aws import FetchError, aws_errors, error_code
from .s3 import S3Object

CHUNK = 1 << 20
"""Bytes asked of an object's body at a time."""
OUT_MAX = 4 << 20
"""Most bytes one decompression step gives."""
_GZIP_MAGIC = b"\x1f\x8b"


class Damaged(ValueError):
    """A gzip object whose data stops or breaks before its end."""


def inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The decompressed bytes of gzip data given in chunks (several members one after another included)."""
    decomp: Any = None
    for chunk in chunks:
        data = chunk
        while data:
            if decomp is None or decomp.eof:
                decomp = zlib.decompressobj(wbits=31)
            try:
                out = decomp.decompress(data, OUT_MAX)
            except zlib.error as exc:
                raise Damaged(f"damaged gzip data ({exc})") from None
            if out:
                yield out
            data = decomp.unconsumed_tail or (decomp.unused_data if decomp.eof else b"")
    if decomp is not None and not decomp.eof:
        raise Damaged("gzip data cut short")


class ChunkStream(io.RawIOBase):
    """A readable binary stream over chunks of bytes made on demand (S3 objects, CloudWatch Logs pages)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self.position = 0
        """Bytes given out so far."""
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        """Always."""
        return True

    def tell(self) -> int:
        """Bytes given out so far."""
        return self.position

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current chunk (making the next one when it is used up); 0 at the end."""
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.position += n
        return n


class ObjectStream(ChunkStream):
    """The text of S3 objects, one after another, each after its marker line."""

    def __init__(self, client: Any, bucket: str, objects: Sequence[S3Object], origin: str = "") -> None:
        super().__init__(self._generate())
        self.client, self.bucket, self.objects = client, bucket, objects
        self.origin = origin or f"s3://{bucket}/"
        self.problems: list[Skipped] = []
        """Objects damaged or gone, at the line of their marker (an input's problems, for its report)."""
        self.read_objects = 0
        self._lines = 0

    def _generate(self) -> Iterator[bytes]:
        for obj in self.objects:
            uri = f"s3://{self.bucket}/{obj.key}"
            at = self._lines + 1
            yield self._counted(MARKER + uri.encode() + b"\n")
            last = b"\n"
            try:
                for data in self._content(obj.key):
                    last = data[-1:]
                    yield self._counted(data)
            except Damaged as exc:
                self.problems.append(Skipped(self.origin, at, f"{uri}: {exc}; the lines before it were used"))
            except _Gone:
                self.problems.append(Skipped(self.origin, at, f"{uri}: gone since it was listed", "warning"))
            if last != b"\n":
                yield self._counted(b"\n")
            self.read_objects += 1

    def _counted(self, data: bytes) -> bytes:
        self._lines += data.count(b"\n")
        return data

    def _content(self, key: str) -> Iterator[bytes]:
        """The object's bytes, decompressed when it is gzip."""
        with aws_errors("S3", self._explain(key)):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            except Exception as exc:
                if error_code(exc) == "NoSuchKey":
                    raise _Gone from None
                raise
            chunks = body.iter_chunks(CHUNK)
            first = next(chunks, b"")
            if not first:
                return
            again = _chain(first, chunks)
            yield from inflate(again) if first[:2] == _GZIP_MAGIC else again

    def _explain(self, key: str) -> Callable[[str, str], str]:
        def explain(code: str, detail: str) -> str:
            if code in ("AccessDenied", "AccessDeniedException"):
                return f"access denied to s3://{self.bucket}/{key}: the credentials need s3:GetObject on it"
            return f"S3 error reading s3://{self.bucket}/{key}: {detail}"

        return explain


class _Gone(Exception):
    """The object was deleted after it was listed."""


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def write_objects(client: Any, bucket: str, objects: Sequence[S3Object], out: Path) -> ObjectStream:
    """Write the objects' text, each after its marker line, to ``out``; the stream says what it read."""
    body = ObjectStream(client, bucket, objects, origin=str(out))
    try:
        with open(out, "wb") as sink:
            shutil.copyfileobj(body, sink, CHUNK)
    except OSError as exc:
        raise FetchError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return body


__all__ = ["CHUNK", "ChunkStream", "Damaged", "ObjectStream", "inflate", "write_objects"]
