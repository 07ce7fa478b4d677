"""``sensequant`` command line: the Typer app and the registration of every command.

The commands live one module per group (:mod:`.data`, :mod:`.fetch`, :mod:`.audit`,
:mod:`.actions`, :mod:`.runs`, :mod:`.review`, :mod:`.lookahead`, :mod:`.config`), thin
wrappers over the pipeline, data and registry layers. ``--version`` prints the installed
version; ``--install-completion``/``--show-completion`` set up shell completion; a mistyped
command gets the closest names (Typer's ``suggest_commands``).
Exit codes: 0 ok, 1 failed, 2 bad usage (unknown command, option, run id, universe, interval,
a missing input file, no home for a command that only reads). Progress and logs go to
stderr, results to files (and ``--json`` to stdout for scripting). SenseQuant is read-only
towards brokers: no command places orders.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sensequant.cli.actions import actions
from sensequant.cli.audit import audit
from sensequant.cli.breaks import breaks
from sensequant.cli.config import config_init, config_show
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

__all__ = ["app", "config_app", "data_app", "main", "version"]

app = typer.Typer(
    help="SenseQuant: NSE bars -> leakage-free models -> reviewed release candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    suggest_commands=True,  # "No such command 'rnu'. Did you mean 'run'?"
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
config_app = typer.Typer(
    help="Show the resolved run configuration or write a commented one.", no_args_is_help=True
)
app.add_typer(config_app, name="config")
config_app.command("show")(config_show)
config_app.command("init")(config_init)

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


def version() -> str:
    """The installed distribution's version (``importlib.metadata``), else the source's."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("sensequant")
    except PackageNotFoundError:  # running from a source tree that is not installed
        from sensequant import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        print(f"sensequant {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the SenseQuant version and exit.",
        ),
    ] = False,
) -> None:
    """SenseQuant: NSE bars -> leakage-free models -> reviewed release candidates."""


def main() -> None:  # pragma: no cover - console entry point helper
    """Entry point for ``python -m sensequant``."""
    sys.exit(app())
