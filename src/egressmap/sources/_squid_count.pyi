from collections.abc import Collection, Iterable

def count(
    blocks: Iterable[bytes], first_lineno: int, sample: int, seed: int
) -> tuple[
    list[tuple[bytes, bytes, bytes, int, int, bytes, bytes, Collection[bytes], bytes]], list[int], int
]: ...
