"""``sensequant config show | init``: the shipped configurations live inside the package."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sensequant.cli import app
from sensequant.cli.config import SHIPPED_CONFIGS, shipped_config_text
from sensequant.run_config import RunConfig, load_run_config

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("name", SHIPPED_CONFIGS)
def test_packaged_configs_equal_the_repository_copies(name: str) -> None:
    packaged = ROOT / "src" / "sensequant" / "resources" / "configs" / f"{name}.yaml"
    assert packaged.read_bytes() == (ROOT / "configs" / f"{name}.yaml").read_bytes(), (
        f"configs/{name}.yaml changed: copy it to {packaged.relative_to(ROOT)}"
    )
    assert shipped_config_text(name) == packaged.read_text(encoding="utf-8")


def test_package_data_names_the_configs() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "resources/configs/*.yaml" in data["package-data"]["sensequant"]


def test_show_prints_the_defaults_as_yaml(tmp_path: Path) -> None:
    res = runner.invoke(app, ["config", "show"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# resolved run configuration from the built-in defaults")
    assert RunConfig.model_validate(yaml.safe_load(res.stdout)) == RunConfig()


def test_show_resolves_a_partial_file(tmp_path: Path) -> None:
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("name: mine\nwindows:\n  step_days: 30\n", encoding="utf-8")
    res = runner.invoke(app, ["config", "show", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    shown = yaml.safe_load(res.stdout)
    assert shown["name"] == "mine" and shown["windows"]["step_days"] == 30
    assert shown["student"] == RunConfig().student.model_dump(mode="json")  # defaults filled


def test_show_names_an_unknown_key_its_line_and_the_closest_key(tmp_path: Path) -> None:
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("name: x\ndata:\n  univers: nifty50\nlabels:\n  horizn: 5\n", encoding="utf-8")
    res = runner.invoke(app, ["config", "show", "--config", str(cfg)])
    assert res.exit_code == 2
    assert str(cfg) in res.output
    assert "line 3: data.univers: unknown key; did you mean 'universe'?" in res.output
    assert "line 5: labels.horizn: unknown key; did you mean 'horizon'?" in res.output
    assert "Traceback" not in res.output


def test_show_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["config", "show", "--config", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "does not exist" in res.output


@pytest.mark.parametrize("name", SHIPPED_CONFIGS)
def test_init_writes_a_commented_config_that_loads(tmp_path: Path, name: str) -> None:
    target = tmp_path / "my_run.yaml"
    res = runner.invoke(app, ["config", "init", str(target), "--from", name])
    assert res.exit_code == 0, res.output
    text = target.read_text(encoding="utf-8")
    shipped = shipped_config_text(name)
    assert text.startswith(shipped.split("\n", 1)[0])

    def values(t: str) -> list[str]:
        return [line for line in t.splitlines() if not line.lstrip().startswith("#")]

    assert values(text) == values(shipped)  # comments added, nothing else changed
    period = RunConfig.model_validate(yaml.safe_load(shipped))
    assert (
        "  # Calendar days predicted out of sample by each walk-forward student fit.\n"
        f"  test_period_days: {period.student.test_period_days}\n"
    ) in text
    assert "# Cross-sectional student distilled from teacher soft labels.\nstudent:\n" in text
    assert ":mod:" not in text and "``" not in text
    if "  trials:\n" in shipped:  # intraday_1min is partial: the rest are the defaults
        after = text.split("  trials:\n", 1)[1].splitlines()
        trials = [line for line in after[: next(i for i, t in enumerate(after) if t[:1] != " ")]]
        assert trials and not any("#" in line for line in trials)  # list items: no comments
    loaded = load_run_config(target)
    assert loaded.name == name
    if name == "default":
        assert loaded == RunConfig()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "run.yaml"
    target.write_text("mine\n", encoding="utf-8")
    res = runner.invoke(app, ["config", "init", str(target)])
    assert res.exit_code == 2 and "exists already" in res.output and "--force" in res.output
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert runner.invoke(app, ["config", "init", str(target), "--force"]).exit_code == 0
    assert load_run_config(target) == RunConfig()


def test_init_from_an_unknown_config_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["config", "init", str(tmp_path / "x.yaml"), "--from", "nope"])
    assert res.exit_code == 2 and "default, class3" in res.output
    assert not (tmp_path / "x.yaml").exists()


def test_init_defaults_to_sensequant_yaml_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["config", "init"]).exit_code == 0
    assert load_run_config(tmp_path / "sensequant.yaml") == RunConfig()
