from collections.abc import Callable, Collection, Iterable
from typing import Any

_Row = tuple[bytes, bytes, bytes, int, int, float | None, float | None, Collection[str], bytes]

def count(
    blocks: Iterable[bytes], first_lineno: int, sample: int, seed: int
) -> tuple[list[_Row], list[int], int]: ...
def convert(
    rows: list[_Row],
    counted: dict[Any, list[Any]],
    add: Callable[..., None],
    method_and_outcome: Callable[[bytes, bytes], Any],
) -> list[_Row]: ...
