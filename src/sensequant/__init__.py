"""SenseQuant: NSE bars to reviewed release candidates of leakage-free trading models."""

import os as _os

__version__ = "0.1.0"

# LightGBM's OpenMP threads busy-wait between parallel regions by default; when another
# process shares the cores (a second job, a test suite, a dashboard) a waiting thread spins on
# the core its partner needs, and a 2-thread student fit was measured 2-10x slower
# (95 ms -> 216-952 ms per fit on this 2-core machine). Passive waiting sleeps instead. Set
# before LightGBM loads (the OpenMP runtime reads it once); a value the user set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
