"""SenseQuant: NSE bars to reviewed release candidates of leakage-free trading models."""

__version__ = "0.1.0"
