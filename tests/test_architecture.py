"""Architecture checks: the import-linter contracts (layers; nothing imports pickle), module
size and package breadth.

The contract lives in ``pyproject.toml`` (``[tool.importlinter]``) and mirrors DESIGN.md
"Layers". The import-linter tests run ``lint-imports`` in a subprocess (the one next to this
interpreter, else the first on ``PATH``) and are skipped when import-linter is not installed.

``test_no_module_over_400_lines`` and ``test_data_top_level_is_small`` keep the house walkable
(a module past ~400 lines is usually two modules; data/ keeps few top-level modules).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "sensequant"
PYPROJECT = ROOT / "pyproject.toml"

MAX_MODULE_LINES = 400
MAX_DATA_TOP_LEVEL_MODULES = 10


def _lint_imports() -> str | None:
    here = str(Path(sys.executable).parent)
    return shutil.which("lint-imports", path=here + os.pathsep + os.environ.get("PATH", ""))


def _run_lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = _lint_imports()
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [exe, "--config", str(PYPROJECT), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_layer_contract_holds(tmp_path: Path) -> None:
    result = _run_lint_imports(SRC, tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "0 broken" in out
    assert "Nothing is pickled KEPT" in out  # no module of src imports pickle (or dill...)


def _lint_with_a_bad_import(tmp_path: Path, module: str, line: str) -> str:
    """lint-imports over a copy of the package with ``line`` appended to ``module``; its
    output (the run must fail)."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "sensequant", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "sensequant" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = _run_lint_imports(copy, tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    return out


def test_layer_contract_catches_an_upward_import(tmp_path: Path) -> None:
    out = _lint_with_a_bad_import(tmp_path, "data/store.py", "import sensequant.cli  # wrong")
    assert "Layers: cli > pipeline" in out and "BROKEN" in out
    assert "sensequant.data.store -> sensequant.cli" in out


def test_pickle_contract_catches_a_pickle_import(tmp_path: Path) -> None:
    out = _lint_with_a_bad_import(tmp_path, "pipeline/checkpoints.py", "import pickle  # wrong")
    assert "Nothing is pickled BROKEN" in out
    assert "sensequant.pipeline.checkpoints -> pickle" in out


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_over_400_lines() -> None:
    too_long = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_data_top_level_is_small() -> None:
    top = sorted(p.name for p in (PACKAGE / "data").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_DATA_TOP_LEVEL_MODULES, top
