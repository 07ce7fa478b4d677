"""``executor`` section and ``--executor``: validation, and no effect on the fingerprint."""

from __future__ import annotations

import pytest

from sensequant.errors import ConfigError
from sensequant.settings import RunConfig


def test_with_executor_specs() -> None:
    cfg = RunConfig()
    assert cfg.executor.kind == "joblib" and cfg.executor.address is None
    dask = cfg.with_executor("tcp://10.0.0.5:8786")
    assert (dask.executor.kind, dask.executor.address) == ("dask", "tcp://10.0.0.5:8786")
    assert cfg.with_executor("dask").executor.address is None
    assert dask.fingerprint() == cfg.fingerprint()  # where it runs is not a result
    with pytest.raises(ConfigError, match="not joblib, dask or a scheduler address"):
        cfg.with_executor("spark")


def test_address_needs_dask() -> None:
    raw = RunConfig().model_dump() | {"executor": {"kind": "joblib", "address": "tcp://h:1"}}
    with pytest.raises(ValueError, match=r"executor\.address needs executor\.kind: dask"):
        RunConfig.model_validate(raw)
