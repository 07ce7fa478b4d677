"""sensequant.data.quality: public face."""

from sensequant.data.quality.audit import REPORT_FILE, SUMMARY_FILE, WARN_KINDS, audit_store
from sensequant.data.quality.break_mask import (
    ACTIVE_BREAK_STATUSES,
    BREAK_INTERVAL,
    apply_breaks,
    break_columns,
    record_detected_breaks,
    session_bars,
)
from sensequant.data.quality.breaks import BREAK_KINDS, StructuralBreak, detect_breaks
from sensequant.data.quality.checks import (
    day_numbers,
    duplicated_days,
    grid_bar_count,
    outlier_jumps,
    session_grid,
)
from sensequant.data.quality.clean import FINDING_KINDS, CleanResult, Finding, clean_bars
from sensequant.data.quality.corporate_actions import (
    ACTIVE_STATUSES,
    STANDARD_FACTORS,
    SuspectedAction,
    adjust_bars,
    detect_corporate_actions,
    read_bars,
    record_detected_actions,
    stored_actions,
)
from sensequant.data.quality.derived import SyncResult, recheck_merged, sync_actions

__all__ = [
    "ACTIVE_BREAK_STATUSES",
    "ACTIVE_STATUSES",
    "BREAK_INTERVAL",
    "BREAK_KINDS",
    "FINDING_KINDS",
    "REPORT_FILE",
    "STANDARD_FACTORS",
    "SUMMARY_FILE",
    "WARN_KINDS",
    "CleanResult",
    "Finding",
    "StructuralBreak",
    "SuspectedAction",
    "SyncResult",
    "adjust_bars",
    "apply_breaks",
    "audit_store",
    "break_columns",
    "clean_bars",
    "day_numbers",
    "detect_breaks",
    "detect_corporate_actions",
    "duplicated_days",
    "grid_bar_count",
    "outlier_jumps",
    "read_bars",
    "recheck_merged",
    "record_detected_actions",
    "record_detected_breaks",
    "session_bars",
    "session_grid",
    "stored_actions",
    "sync_actions",
]
