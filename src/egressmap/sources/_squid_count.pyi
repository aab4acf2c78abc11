from collections.abc import Collection, Iterable

def count(
    blocks: Iterable[bytes], first_lineno: int, sample: int, seed: int
) -> tuple[
    list[tuple[bytes, bytes, bytes, int, int, float | None, float | None, Collection[str], bytes]],
    list[int],
    int,
]: ...
