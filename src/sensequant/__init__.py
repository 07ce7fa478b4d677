"""SenseQuant: NSE bars to reviewed release candidates of leakage-free trading models."""

import os as _os

# LightGBM's OpenMP threads spin while they wait; on a busy 2-core machine (parallel teacher
# workers, CI) that made a 0.5 s fit take 47 s. Passive waiting must be set before the
# OpenMP runtime loads, i.e. before lightgbm is first imported.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
