"""Test support shipped with the package: deterministic synthetic bars
(:mod:`sensequant.testing.synthetic`) and an in-process fake provider
(:mod:`sensequant.testing.fake_provider`) for a user's own tests. The local Breeze HTTP
stand-in used by the project's tests and benchmarks lives in the repository's ``tests/standin``
and is not installed."""
