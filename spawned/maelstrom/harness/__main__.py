"""``python -m spawned.maelstrom.harness``: run a workload against node processes."""

from ._main import main

main()
