"""``data import`` with many files: the summary on stdout, notes and warnings grouped by kind."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sensequant.cli import app
from sensequant.cli.import_summary import SHOW_EACH, group_messages, subject_of
from tests.cli.test_main import _env, _write_yahoo

runner = CliRunner()


def test_few_messages_are_printed_one_by_one() -> None:
    items = [(f"F{i}.csv", f"F{i}.csv: F{i} stored as G{i} (alias table)") for i in range(3)]
    (group,) = group_messages(items)
    assert group.kind == "symbol renamed" and group.lines() == [m for _, m in items]


def test_many_messages_of_one_kind_are_one_line_with_a_count() -> None:
    items = [(f"F{i}.csv", f"F{i}.csv: columns ['x{i}'] ignored (layout yahoo)") for i in range(40)]
    items.append(("G.csv", "G.csv: G stored as H (alias table)"))
    ignored, renamed = group_messages(items)
    assert ignored.lines() == [
        "40 x columns ignored: F0.csv, F1.csv, F2.csv and 37 more (every one in --json)",
        "  e.g. F0.csv: columns ['x0'] ignored (layout yahoo)",
    ]
    assert renamed.lines() == ["G.csv: G stored as H (alias table)"]


def test_unlisted_messages_of_one_template_group_together() -> None:
    items = [(f"S{i}", f"S{i} 1day: something new happened {i} times") for i in range(5)]
    items.append(("T", "T 1day: another thing"))
    groups = group_messages(items)
    assert [len(g.messages) for g in groups] == [5, 1]
    assert groups[0].lines()[0].startswith("5 x something new happened # times: S0, S1, S2")


def test_subject_is_the_file_name() -> None:
    assert subject_of("/data/in/ABC.csv: bad") == "ABC.csv"
    assert subject_of("/a/x.zip and /a/y.zip both hold the trading day 2024-01-02: ...") == (
        "x.zip and y.zip both hold the trading day 2024-01-02"
    )
    assert subject_of("ABC 1day: columns ['oi'] are not stored") == "ABC 1day"


def test_import_prints_the_summary_on_stdout_and_groups_notes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    n = SHOW_EACH + 3
    for i in range(n):  # a lower-case file name: the symbol is stored upper-case (a note)
        _write_yahoo(folder / f"sym{chr(97 + i)}.csv", n=40, seed=i)
        path = folder / f"sym{chr(97 + i)}.csv"
        path.write_text(
            path.read_text()
            .replace("Volume\n", "Volume,Extra\n", 1)
            .replace("\n", ",1\n")
            .replace("Volume,Extra,1\n", "Volume,Extra\n", 1),
            encoding="utf-8",
        )
    res = runner.invoke(app, ["data", "import", str(folder)], env=_env(tmp_path / "home"))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"imported {n} files (")
    assert res.stdout.count("\n") == 1  # the summary only: notes and warnings on stderr
    assert f"note: {n} x columns ignored: syma.csv, symb.csv, symc.csv and 3 more" in res.stderr
    assert res.stderr.count("columns ['Extra'] ignored") == 1  # the one example
