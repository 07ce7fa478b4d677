"""parallel_map: order preserved, callbacks in the parent, same results in- and out-of-process."""

from __future__ import annotations

import pytest

from sensequant.errors import ConfigError
from sensequant.parallel import effective_jobs, parallel_map, release_workers


def _double(x: int) -> int:
    return 2 * x


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


def test_release_workers_stops_the_idle_pool_and_a_later_map_still_runs() -> None:
    import psutil

    release_workers()  # no pool yet: nothing to do
    assert parallel_map(_double, [1, 2, 3], n_jobs=2) == [2, 4, 6]
    workers_of = lambda: {  # noqa: E731
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "LokyProcess" in " ".join(p.cmdline())
    }
    before = workers_of()
    release_workers()
    assert before and not (workers_of() & before)  # the pool's workers are gone
    assert parallel_map(_double, [4, 5], n_jobs=2) == [8, 10]


def test_dask_executor_matches_joblib() -> None:
    from dask.distributed import LocalCluster

    items = list(range(9))
    seen: list[int] = []
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        got = parallel_map(
            _square,
            items,
            extra_args=(2,),
            on_result=seen.append,
            executor="dask",
            address=cluster.scheduler_address,
        )
    assert got == parallel_map(_square, items, n_jobs=2, extra_args=(2,))
    assert sorted(seen) == sorted(got)


def test_bad_executor_refused() -> None:
    with pytest.raises(ConfigError, match="an address needs dask"):
        parallel_map(_square, [1], executor="joblib", address="tcp://x:1", extra_args=(0,))
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(ConfigError, match="cannot reach the Dask scheduler"),
    ):
        parallel_map(_square, [1, 2], executor="dask", address="tcp://127.0.0.1:9", extra_args=(0,))
