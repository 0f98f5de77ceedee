"""spawned's benchmark suite: cost per message and per process, beside the floor of each backend.

Run ``python -m benchmarks`` (a few minutes) or ``python -m benchmarks --quick`` (a few
seconds, for CI: it proves the suite runs and asserts nothing about speed). Each figure is
printed as one JSON object per line on stdout; progress goes to stderr. See
``docs/performance.md`` for what each figure means and the numbers on the reference machine.
"""
