"""sensequant.data.imports: public face."""

from sensequant.data.imports.collect import find_bar_files
from sensequant.data.imports.coverage import coverage
from sensequant.data.imports.ingest import FileOutcome, ImportReport, import_paths

__all__ = ["FileOutcome", "ImportReport", "coverage", "find_bar_files", "import_paths"]
