"""Benchmarks: each ``bench/<topic>.py`` runs the project's approach and its peer side by side.

Run one with ``python -m bench.<topic>``; ``python -m bench`` lists them and ``python -m bench all``
runs every one in turn. Results go to ``bench/results/<topic>.json`` and, with the command, to
``docs/benchmarks.md``.
"""
