"""``s3://`` and ``cloudwatch://`` sources for ``scan`` and ``build``: logs read where they live, no file between.

A ``SOURCE`` that starts with ``s3://`` or ``cloudwatch://`` goes through the same code as ``egressmap fetch`` and is
read as it streams in; anything else is a local path (or ``-``). Options go in the query string, named as the
``fetch`` flags:

- ``s3://BUCKET[/PREFIX][?since=2d&until=T&account=A&region=R&source=KIND&max-size=5G]`` (``account``, ``region``
  and ``source`` may repeat, or list values with commas). Each kind of log found is one input (named
  ``s3://BUCKET/PREFIX [vpc-flow]`` when there are several), since an input is read in one format.
- ``cloudwatch://GROUP[?stream-prefix=P&since=2d&until=T&filter-pattern=F]``: ``GROUP`` is everything after
  ``cloudwatch://``, so ``cloudwatch:///aws/route53/x`` is the group ``/aws/route53/x`` (an ARN is taken as the
  group's identifier, for a group shared from another account).

Credentials, the API region and the endpoint come from the standard AWS chain (``AWS_PROFILE``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``...). A source that cannot be listed, is over the size limit, or holds nothing is an input
that could not be read (its one line in the report); an error once reading has begun stops the run. boto3 is
imported only when such a source is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial

from ..sources.reader import InputStream, Progress

SCHEMES = ("s3://", "cloudwatch://")
Opener = Callable[[Progress | None], InputStream]
"""Opens one input (told where to report its progress)."""


def inputs(paths: Iterable[str]) -> Iterator[tuple[str, Opener]]:
    """Each input's name and how to open it: a path is one input, an ``s3://`` source one per kind of log."""
    for path in paths:
        if path.startswith(SCHEMES):
            from .remote_aws import inputs_of  # the fetch code (and boto3) only when such a source is given

            yield from inputs_of(path)
        else:
            yield path, partial(InputStream, path)
