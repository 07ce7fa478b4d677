"""Parallel map over independent tasks (joblib, loky backend) with progress callbacks.

One code path for one machine; the same functions run under ``joblib.parallel_config(
backend="dask")`` on a Dask cluster when users outgrow one machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed

T = TypeVar("T")
R = TypeVar("R")


def effective_jobs(n_jobs: int) -> int:
    """Number of worker processes for ``n_jobs`` (-1 = all cores, as joblib)."""
    cores = os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return max(1, n_jobs)


def parallel_map(
    func: Callable[..., R],
    items: Sequence[T],
    *,
    n_jobs: int = -1,
    on_result: Callable[[R], None] | None = None,
    extra_args: Iterable[Any] = (),
) -> list[R]:
    """Apply ``func(item, *extra_args)`` to every item, in worker processes when n_jobs > 1.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function.
    items : sequence
        Task inputs; results come back in the same order.
    n_jobs : int, default -1
        Worker processes (-1 = all cores). 1 runs in-process (no pickling; easier debugging).
    on_result : callable, optional
        Called in the parent with each result as it completes (progress bars, telemetry).
    extra_args : iterable
        Arguments appended to every call.

    Returns
    -------
    list
        ``[func(item, *extra_args) for item in items]``, in input order.
    """
    extra = tuple(extra_args)
    jobs = effective_jobs(n_jobs)
    results: list[R] = []
    if jobs == 1 or len(items) <= 1:
        for item in items:
            res = func(item, *extra)
            if on_result is not None:
                on_result(res)
            results.append(res)
        return results
    runner = Parallel(n_jobs=jobs, backend="loky", return_as="generator")
    stream: Iterator[R] = runner(delayed(func)(item, *extra) for item in items)
    for res in stream:
        if on_result is not None:
            on_result(res)
        results.append(res)
    return results


def release_workers() -> None:
    """Shut down the idle joblib (loky) worker processes now.

    joblib keeps its worker processes alive for reuse (five minutes by default); after the
    teacher phase they would hold ~0.3 GiB each through the memory-heavy student, backtest and
    stress phases that run in the parent. The next :func:`parallel_map` starts fresh ones
    (about a second).
    """
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor  # None when no worker was ever started
    if executor is not None:
        executor.shutdown(wait=True)
