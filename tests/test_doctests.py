"""Run the numpydoc ``Examples`` of the public entry points as doctests.

Each example uses tiny synthetic data (``sensequant.testing.synthetic``) or small frames and
runs in well under a second; ``run_pipeline``'s heavy call is marked ``+SKIP`` (its inputs are
still built and checked). ``docs/nse_costs.md``'s worked round trip runs too, so the page
stays consistent with ``resources/nse_fees.yaml``.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "sensequant.pipeline.run",
    "sensequant.data.store",
    "sensequant.dataset.features.build",
    "sensequant.evaluation.backtest",
    "sensequant.release.registry",
    "sensequant.release.ledger",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", ["nse_costs.md"])
def test_docs_examples_run(page: str) -> None:
    result = doctest.testfile(str(DOCS / page), module_relative=False, verbose=False)
    assert result.attempted > 0, f"docs/{page} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page}"
