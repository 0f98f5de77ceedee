"""What every example shares: pick the backend from ``--backend`` and run the example there.

Each example defines ``main_tasks`` (awaited, on asyncio or trio) and ``main_threads``
(blocking); the server classes are written once and used by both.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from spawned import tasks, threads

BACKENDS = ("asyncio", "trio", "threads")


def run_example(
    main_tasks: Callable[[], Awaitable[None]],
    main_threads: Callable[[], None],
    argv: list[str] | None = None,
    description: str | None = None,
) -> None:
    """Run ``main_threads`` on ``--backend threads``, else ``main_tasks`` on asyncio or trio."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=BACKENDS, default="asyncio")
    backend = parser.parse_args(argv).backend
    if backend == "threads":
        threads.run(main_threads)
    else:
        tasks.run(main_tasks, backend=backend)
