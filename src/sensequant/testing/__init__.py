"""Test support shipped with the package: deterministic synthetic bars, the local Breeze
stand-in server and an in-process fake provider (used by the tests and the benchmarks)."""
