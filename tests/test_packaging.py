"""What the installed package holds: no test-only stand-in server, no path outside the repo."""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import find_namespace_packages

SRC = Path(__file__).resolve().parents[1] / "src"
OUTSIDE_PATH = re.compile(r"\.\./shared|/work/")


def _package_files() -> list[Path]:
    """Every source and packaged data file under src/sensequant (what a wheel ships)."""
    return [
        p
        for p in sorted((SRC / "sensequant").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]


def test_package_discovery_finds_no_standin() -> None:
    packages = find_namespace_packages(where=str(SRC), include=["sensequant*"])
    assert "sensequant.testing" in packages
    modules = [
        ".".join(p.relative_to(SRC).with_suffix("").parts)
        for p in _package_files()
        if p.suffix == ".py"
    ]
    assert modules, "no module found under src/sensequant"
    assert [m for m in modules if "standin" in m] == []
    assert [p for p in packages if "standin" in p] == []


def test_no_module_mentions_the_standin_server() -> None:
    mentions = [
        p.relative_to(SRC).as_posix()
        for p in _package_files()
        if p.suffix == ".py" and "breeze_standin" in p.read_text(encoding="utf-8")
    ]
    assert mentions == []


def test_no_path_outside_the_repository_in_the_package() -> None:
    hits = [
        f"{p.relative_to(SRC).as_posix()}:{n}: {line.strip()}"
        for p in _package_files()
        if p.suffix in {".py", ".yaml", ".yml", ".toml", ".json", ".md", ".txt"}
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE_PATH.search(line)
    ]
    assert hits == []


def test_package_description_names_no_path_outside_the_repository() -> None:
    """The wheel's long description (PKG-INFO) comes from ``[project] readme``: users of the
    installed package have no ``../shared``, so it must point into the repository only."""
    import tomllib

    root = SRC.parent
    readme = tomllib.loads((root / "pyproject.toml").read_text())["project"]["readme"]
    text = (root / readme).read_text(encoding="utf-8")
    assert readme != "README.md"  # the repository guide names ../shared/data for the data
    assert not OUTSIDE_PATH.search(text)
    assert "docs/architecture.md" in text


def test_every_data_file_is_declared_as_package_data() -> None:
    """A data file under src/sensequant that no ``package-data`` pattern matches is missing
    from the wheel (e.g. the shipped run configurations ``sensequant config init`` writes)."""
    import fnmatch
    import tomllib

    root = SRC.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["sensequant"]
    data = [
        p.relative_to(SRC / "sensequant").as_posix()
        for p in _package_files()
        if p.suffix not in {".py", ".pyc"}
    ]
    assert "resources/configs/default.yaml" in data and "resources/configs/class3.yaml" in data
    assert [f for f in data if not any(fnmatch.fnmatchcase(f, pat) for pat in patterns)] == []
