"""Warmline's tooling: the demo company and the benchmarks.

Kept apart from the product: this package imports Warmline's apps, never the other way
round (import-linter checks it in `make lint`). It is a Django app only so that
`warmline demo` and `warmline bench` are management commands.
"""
