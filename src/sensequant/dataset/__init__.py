"""sensequant.dataset: public face."""

from sensequant.dataset.frame import (
    PANEL_LABEL_COLUMNS,
    VOLUME_FEATURES,
    SymbolFrame,
    feature_names,
    needs_panel_step,
    panel_frame,
    symbol_frame,
    volume_absent,
)
from sensequant.dataset.labels import LABEL_COLUMNS, make_labels
from sensequant.dataset.panel_step import build_frames, with_panel_columns
from sensequant.dataset.splits import (
    SessionPanel,
    TimesLike,
    purged_fold_indices,
    purged_split_indices,
    session_groups,
)
from sensequant.dataset.targets import (
    MIN_VALID_PER_DATE,
    cs_target,
    date_t1,
    rank_groups,
    relevance_grades,
    ts_volscaled_target,
)
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
    "MIN_VALID_PER_DATE",
    "PANEL_LABEL_COLUMNS",
    "SKIP_BEFORE_LISTING",
    "SKIP_NO_FUTURE",
    "SKIP_REASONS",
    "SKIP_TOO_FEW_SAMPLES",
    "VOLUME_FEATURES",
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
    "ts_volscaled_target",
    "volume_absent",
    "window_samples",
    "with_panel_columns",
]
