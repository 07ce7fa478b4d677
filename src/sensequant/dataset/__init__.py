"""sensequant.dataset: public face."""

from sensequant.dataset.labels import LABEL_COLUMNS, make_labels
from sensequant.dataset.windows import (
    SKIP_BEFORE_LISTING,
    SKIP_NO_FUTURE,
    SKIP_REASONS,
    SKIP_TOO_FEW_SAMPLES,
    Window,
    WindowSkip,
    WindowStatus,
    coverage_skip,
    plan_windows,
    window_samples,
)

__all__ = [
    "LABEL_COLUMNS",
    "SKIP_BEFORE_LISTING",
    "SKIP_NO_FUTURE",
    "SKIP_REASONS",
    "SKIP_TOO_FEW_SAMPLES",
    "Window",
    "WindowSkip",
    "WindowStatus",
    "coverage_skip",
    "make_labels",
    "plan_windows",
    "window_samples",
]
