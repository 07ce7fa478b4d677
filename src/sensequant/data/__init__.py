"""Data layer: parsing, validation, calendar, bar store, catalog, universe and ingest."""
