"""``python -m sensequant`` runs the CLI."""

from sensequant.cli import app

app()
