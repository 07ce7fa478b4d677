"""Parallel map over independent tasks, on this machine (joblib) or a Dask cluster.

:func:`parallel_map` is the one dispatch point. ``executor="joblib"`` (the default) runs the
tasks in local worker processes (joblib's loky backend). ``executor="dask"`` submits them to a
``dask.distributed`` scheduler at ``address`` (workers on several machines), or, without an
address, to a temporary ``LocalCluster`` of ``n_jobs`` worker processes. Either way results
come back in input order and ``on_result`` runs in the calling process; functions and their
arguments must be picklable (module-level functions, plain data). Results do not depend on
the executor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from joblib import Parallel, delayed

from sensequant.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

Executor = Literal["joblib", "dask"]
"""Where :func:`parallel_map` runs its tasks."""


def effective_jobs(n_jobs: int) -> int:
    """Number of worker processes for ``n_jobs`` (-1 = all cores, as joblib)."""
    cores = os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return max(1, n_jobs)


def _apply(item: Any, fn: Callable[..., Any], extra: tuple[Any, ...]) -> Any:
    return fn(item, *extra)


def _dask_map(
    func: Callable[..., R],
    items: Sequence[T],
    extra: tuple[Any, ...],
    *,
    jobs: int,
    address: str | None,
    on_result: Callable[[R], None] | None,
) -> list[R]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - the dependency is declared in pyproject.toml
        raise ConfigError(
            "executor dask needs the dask.distributed package",
            hint="pip install 'dask[distributed]' (or use executor: joblib)",
        ) from None
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
    try:
        client = Client(cluster if cluster is not None else address)
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address} ({exc})",
            hint="start `dask scheduler` and workers, or check executor.address",
        ) from None
    try:
        data = client.scatter(list(items))  # big inputs travel once, not inside the graph
        shared = client.scatter([extra], broadcast=True)[0]
        futures = client.map(_apply, data, fn=func, extra=shared, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            res = fut.result()
            results[index[fut.key]] = res
            if on_result is not None:
                on_result(res)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def parallel_map(
    func: Callable[..., R],
    items: Sequence[T],
    *,
    n_jobs: int = -1,
    on_result: Callable[[R], None] | None = None,
    extra_args: Iterable[Any] = (),
    executor: Executor = "joblib",
    address: str | None = None,
) -> list[R]:
    """Apply ``func(item, *extra_args)`` to every item, in worker processes or on a cluster.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function.
    items : sequence
        Task inputs; results come back in the same order.
    n_jobs : int, default -1
        Local worker processes (-1 = all cores). With joblib, 1 runs in-process (no pickling;
        easier debugging). With Dask and no ``address``: the local cluster's size.
    on_result : callable, optional
        Called in the parent with each result as it completes (progress bars, telemetry).
    extra_args : iterable
        Arguments appended to every call.
    executor : {"joblib", "dask"}, default "joblib"
        Where the tasks run (see the module docstring).
    address : str, optional
        Dask scheduler address (``tcp://host:8786``); only with ``executor="dask"``.

    Returns
    -------
    list
        ``[func(item, *extra_args) for item in items]``, in input order.

    Raises
    ------
    ConfigError
        Unknown executor, an address without Dask, or an unreachable scheduler.
    """
    extra = tuple(extra_args)
    jobs = effective_jobs(n_jobs)
    if executor not in ("joblib", "dask") or (address is not None and executor != "dask"):
        raise ConfigError(
            f"executor {executor!r} with address {address!r} is not valid",
            hint="executor is joblib or dask; an address needs dask",
        )
    if executor == "dask" and items:
        return _dask_map(func, items, extra, jobs=jobs, address=address, on_result=on_result)
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
