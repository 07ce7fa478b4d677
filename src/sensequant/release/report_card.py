"""The strategy card section of the HTML run report (see :mod:`sensequant.release.report`);
the card's text is :func:`sensequant.release.strategy_card.card_rows`."""

from __future__ import annotations

from sensequant.release.report_common import _esc, _p, _Run, _table
from sensequant.release.strategy_card import card_rows
from sensequant.release.strategy_card import max_invested as max_invested


def _strategy(run: _Run) -> str:
    n_days = len(run.daily) if run.daily is not None else None
    rows = []
    for r in card_rows(run.config, run.b, n_days):
        text = _esc(r.text)
        if r.warning:
            text += f' <strong class="warn">{_esc(r.warning)}</strong>'
        if r.items:
            text += "<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in r.items) + "</ul>"
        rows.append([f"<b>{_esc(r.title)}</b>", text])
    source = "config.yaml" if run.config else "config.yaml not readable: settings shown as ?"
    return _p(f"Read this first: the run's settings in plain words ({source}).", "meta") + _table(
        ["", "what this run did"], rows, align="ll"
    )
