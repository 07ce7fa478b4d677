"""Market-data providers: Breeze (broker API), Yahoo Finance, files (see :mod:`.base`)."""
