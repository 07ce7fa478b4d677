"""parallel_map: order preserved, callbacks in the parent, same results in- and out-of-process."""

from __future__ import annotations

from sensequant.parallel import effective_jobs, parallel_map


def _square(x: int, offset: int) -> int:
    return x * x + offset


def test_parallel_matches_serial_and_calls_back() -> None:
    items = list(range(12))
    seen: list[int] = []
    par = parallel_map(_square, items, n_jobs=2, on_result=seen.append, extra_args=(1,))
    ser = parallel_map(_square, items, n_jobs=1, extra_args=(1,))
    assert par == ser == [x * x + 1 for x in items]
    assert sorted(seen) == sorted(par)


def test_effective_jobs() -> None:
    assert effective_jobs(1) == 1
    assert effective_jobs(-1) >= 1
