"""The ``sensequant`` command line: one module per command group, thin over the layers below."""

from sensequant.cli.main import app, main

__all__ = ["app", "main"]
