"""``sensequant retrain``: fetch new bars, train a challenger, compare it with the champion.

A thin wrapper over :func:`sensequant.pipeline.retrain.retrain`. Exit codes (for cron and
systemd timers): 0 new data, a challenger was produced; 3 no new data, nothing trained;
1 failed; 2 usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sensequant.cli.common import err, guard, literal, settings

__all__ = ["retrain"]


@guard
def retrain(
    from_run: Annotated[
        str | None,
        typer.Option("--from", help="Champion run id or prefix (default: the deployed run)."),
    ] = None,
    provider: Annotated[
        str,
        typer.Option(
            envvar="SENSEQUANT_RETRAIN_PROVIDER",
            help="Fetch new bars first: files, yahoo, breeze, or none (skip fetching).",
        ),
    ] = "none",
    source: Annotated[
        list[Path] | None,
        typer.Option("--source", help="Files or folders for --provider files (repeatable)."),
    ] = None,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Train even when the fetch left some symbols incomplete (noted in the report).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object on stdout.")] = False,
) -> None:
    """Retrain on new bars and compare the challenger with the champion (exit 0 / 3 / 1)."""
    from sensequant.errors import UsageError
    from sensequant.pipeline import retrain as run_retrain
    from sensequant.progress import RichReporter

    if provider not in ("none", "files", "yahoo", "breeze"):
        raise UsageError(f"--provider {provider!r}: use files, yahoo, breeze or none")
    outcome = run_retrain(
        settings(),
        from_run=from_run,
        provider=provider,
        source=source,
        reporter=RichReporter(err),
        allow_partial=allow_partial,
    )
    for note in outcome.notes:
        err.print(literal(f"note: {note}"))
    if as_json:
        print(json.dumps(outcome.to_dict(), indent=2, default=str))
    elif outcome.challenger is None:
        err.print(
            literal(
                f"no new data: the store ends {outcome.last_session}, already covered by a run "
                f"up to {outcome.covered_until} (champion {outcome.champion})"
            )
        )
    else:
        err.print(
            literal(
                f"challenger {outcome.challenger} vs champion {outcome.champion}: "
                f"{outcome.reused} teacher windows reused, {outcome.trained} trained"
            )
        )
        err.print(literal(f"  comparison: {outcome.report}"))
    raise typer.Exit(outcome.exit_code)
