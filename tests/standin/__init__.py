"""A local stand-in for the ICICI Breeze API (HTTP on 127.0.0.1), for the tests and benchmarks.

Test support only: it is not part of the installed package. Run it in its own process from
the repository root with ``python -m tests.standin --port 0`` (see :mod:`tests.standin.cli`);
import :class:`tests.standin.server.BreezeStandIn` to serve it in-process.

Modules: ``server`` (the endpoints), ``httpd`` (HTTP plumbing), ``faults`` (fault
injection), ``master`` (the served security master and bars), ``cli`` (the command line).
"""
