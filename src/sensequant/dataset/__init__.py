"""sensequant.dataset: public face."""

from sensequant.dataset.frame import (
    PANEL_LABEL_COLUMNS,
    SymbolFrame,
    build_frames,
    feature_names,
    needs_panel_step,
    panel_frame,
    symbol_frame,
    with_panel_columns,
)
from sensequant.dataset.labels import LABEL_COLUMNS, make_labels
from sensequant.dataset.splits import (
    SessionPanel,
    TimesLike,
    purged_fold_indices,
    purged_split_indices,
    session_groups,
)
from sensequant.dataset.targets import cs_target, date_t1, rank_groups, relevance_grades
from sensequant.dataset.windows import (
    SKIP_BEFORE_LISTING,
    SKIP_NO_FUTURE,
    SKIP_REASONS,
    SKIP_TOO_FEW_SAMPLES,
    Window,
    WindowSkip,
    WindowSource,
    WindowStatus,
    coverage_skip,
    plan_windows,
    window_samples,
)

__all__ = [
    "LABEL_COLUMNS",
    "PANEL_LABEL_COLUMNS",
    "SKIP_BEFORE_LISTING",
    "SKIP_NO_FUTURE",
    "SKIP_REASONS",
    "SKIP_TOO_FEW_SAMPLES",
    "SessionPanel",
    "SymbolFrame",
    "TimesLike",
    "Window",
    "WindowSkip",
    "WindowSource",
    "WindowStatus",
    "build_frames",
    "coverage_skip",
    "cs_target",
    "date_t1",
    "feature_names",
    "make_labels",
    "needs_panel_step",
    "panel_frame",
    "plan_windows",
    "purged_fold_indices",
    "purged_split_indices",
    "rank_groups",
    "relevance_grades",
    "session_groups",
    "symbol_frame",
    "window_samples",
    "with_panel_columns",
]
