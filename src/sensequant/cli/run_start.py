"""What ``sensequant run`` prints before it starts: the home it writes to and the OOS period.

Kept apart from :mod:`sensequant.cli.runs` so the lines can be tested without running the
pipeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["run_start_lines"]


def run_start_lines(cfg: Any, st: Any) -> list[str]:
    """Two lines: the resolved ``SENSEQUANT_HOME`` and the out-of-sample period of a run.

    Parameters
    ----------
    cfg : sensequant.run_config.RunConfig
        The effective run configuration (after command-line overrides).
    st : sensequant.settings.Settings
        The settings (``home``).

    Returns
    -------
    list of str
        ``home: /abs/home (SENSEQUANT_HOME)`` (or ``(default: SENSEQUANT_HOME not set)``) and
        ``out of sample: from ... to ...``: ``student.first_test_start`` when set, else about
        ``data.start + student.min_train_days`` (the first soft label plus the training
        minimum; pre-flight fixes the exact day), up to ``data.end`` or the last stored bar.
    """
    home = st.home.expanduser().absolute()
    origin = "SENSEQUANT_HOME" if "home" in st.model_fields_set else "default: SENSEQUANT_HOME "
    origin += "" if "home" in st.model_fields_set else "not set"
    data, student = cfg.data, cfg.student
    if student.first_test_start is not None:
        first = f"{student.first_test_start:%Y-%m-%d} (student.first_test_start)"
    elif data.start is not None:
        about = data.start + dt.timedelta(days=student.min_train_days)
        first = (
            f"about {about:%Y-%m-%d} (data.start {data.start:%Y-%m-%d} + "
            f"student.min_train_days {student.min_train_days})"
        )
    else:
        first = f"the first stored bar + student.min_train_days {student.min_train_days}"
    last = f"{data.end:%Y-%m-%d}" if data.end is not None else "the last stored bar"
    return [f"home: {home} ({origin})", f"out of sample: from {first} to {last}"]
