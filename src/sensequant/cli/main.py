"""``sensequant`` command line: the Typer app and the registration of every command.

The commands live one module per group (:mod:`.data`, :mod:`.fetch`, :mod:`.audit`,
:mod:`.actions`, :mod:`.runs`, :mod:`.review`, :mod:`.lookahead`), thin wrappers over the
pipeline, data and registry layers.
Exit codes: 0 ok, 1 failed, 2 bad usage. Progress and logs go to stderr, results to files
(and ``--json`` to stdout for scripting). SenseQuant is read-only towards brokers: no command
places orders.
"""

from __future__ import annotations

import sys

import typer

from sensequant.cli.actions import actions
from sensequant.cli.audit import audit
from sensequant.cli.breaks import breaks
from sensequant.cli.dashboard import dashboard
from sensequant.cli.data import data_import, data_list
from sensequant.cli.fetch import fetch
from sensequant.cli.lookahead import lookahead
from sensequant.cli.repair import repair
from sensequant.cli.retrain import retrain
from sensequant.cli.review import approve, deploy, reject, retire, rollback, runs, verify
from sensequant.cli.runs import candidates, run, show, stress
from sensequant.cli.signals import signals
from sensequant.cli.sweep import sweep

__all__ = ["app", "data_app", "main"]

app = typer.Typer(
    help="SenseQuant: NSE bars -> leakage-free models -> reviewed release candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(
    help="Bring bars into the local store and inspect coverage.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
data_app.command("fetch")(fetch)
data_app.command("audit")(audit)
data_app.command("actions")(actions)
data_app.command("breaks")(breaks)
data_app.command("import")(data_import)
data_app.command("list")(data_list)
data_app.command("repair")(repair)

app.command()(run)
app.command()(stress)
app.command()(sweep)
app.command()(candidates)
app.command()(show)
app.command()(approve)
app.command()(reject)
app.command()(runs)
app.command()(verify)
app.command()(deploy)
app.command()(retire)
app.command()(rollback)
app.command()(lookahead)
app.command()(dashboard)
app.command()(signals)
app.command()(retrain)


def main() -> None:  # pragma: no cover - console entry point helper
    """Entry point for ``python -m sensequant``."""
    sys.exit(app())
