"""``python -m benchmarks [--quick] [--backend NAME ...]``: print every figure as JSON lines.

Each backend runs in a fresh interpreter, so one backend's garbage (100,000 dead servers)
never weighs on the next one's figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from ._report import FULL, QUICK

BACKENDS = ("asyncio", "trio", "threads", "sim")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds; proves the suite runs")
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="run only these backends")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.worker == "sim":
        from ._sim import main as run_sim  # noqa: PLC0415 - only in the worker
        from ._sim_explore import main as run_sim_explore  # noqa: PLC0415 - only in the worker

        run_sim(sizes)
        run_sim_explore(sizes)
        return 0
    if args.worker == "threads":
        from ._threads import main as run_threads  # noqa: PLC0415 - only in the worker

        run_threads(sizes)
        return 0
    if args.worker is not None:
        from ._tasks import main as run_tasks  # noqa: PLC0415 - only in the worker

        run_tasks(args.worker, sizes)
        return 0
    for backend in args.backend or BACKENDS:
        command = [sys.executable, "-m", "benchmarks", "--worker", backend]
        if args.quick:
            command.append("--quick")
        done = subprocess.run(command, check=False)  # noqa: S603 - our own interpreter and module
        if done.returncode != 0:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
