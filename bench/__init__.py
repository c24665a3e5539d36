"""Loket benchmarks: each one prints JSON; `python -m bench` runs them all.

Nothing here asserts a timing: figures are compared against the targets of
issue 4 and reported with a pass/fail flag, never turned into test failures.
"""
