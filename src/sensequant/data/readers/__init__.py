"""sensequant.data.readers: public face."""

from sensequant.data.readers.bhavcopy import (
    DEFAULT_SERIES,
    LEGACY_COLUMNS,
    UDIFF_COLUMNS,
    bhavcopy_layout,
    normalise_series,
)
from sensequant.data.readers.bhavcopy_zip import read_bhavcopy
from sensequant.data.readers.layouts import LAYOUTS, read_bar_file
from sensequant.data.readers.parsing import ParsedFile
from sensequant.data.readers.values import CONFLICT_POLICIES, ConflictPolicy

__all__ = [
    "CONFLICT_POLICIES",
    "DEFAULT_SERIES",
    "LAYOUTS",
    "LEGACY_COLUMNS",
    "UDIFF_COLUMNS",
    "ConflictPolicy",
    "ParsedFile",
    "bhavcopy_layout",
    "normalise_series",
    "read_bar_file",
    "read_bhavcopy",
]
