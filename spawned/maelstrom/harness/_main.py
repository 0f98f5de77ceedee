"""The command line: parse options, run the harness, print a summary, exit 0, 1 or 2."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from ._harness import LATENCY_DISTRIBUTIONS, TOPOLOGIES, WORKLOADS, Config, Harness, Result

VERDICTS = {
    "valid": "Everything looks good!",
    "invalid": "Analysis invalid!",
    "unknown": "Errors occurred during analysis, but no anomalies found.",
}
EXIT_STATUS = {"valid": 0, "invalid": 1, "unknown": 2}


def run(config: Config) -> Result:
    """Run one test to the end and return its `Result`; the node processes are always gone
    afterwards, even when the run fails or is interrupted.
    """
    harness = Harness(config)
    try:
        return asyncio.run(harness.run())
    finally:
        harness.kill_all()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m spawned.maelstrom.harness",
        description="Run a Maelstrom workload against node processes and check the result.",
    )
    parser.add_argument("-w", "--workload", choices=WORKLOADS, required=True)
    parser.add_argument(
        "--bin", required=True, help="the node's command line, e.g. 'python examples/maelstrom/echo.py'"
    )
    parser.add_argument("--node-count", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds of workload")
    parser.add_argument("--rate", type=float, default=10.0, help="client operations per second")
    parser.add_argument("--concurrency", type=int, default=None, help="client count (default: from rate)")
    parser.add_argument("--latency", type=float, default=0.0, help="network latency in milliseconds")
    parser.add_argument("--latency-dist", choices=LATENCY_DISTRIBUTIONS, default="constant")
    parser.add_argument("--loss", type=float, default=0.0, help="probability a node-to-node message is lost")
    parser.add_argument("--nemesis", default="", help="'partition' to cut the network on a schedule")
    parser.add_argument("--nemesis-interval", type=float, default=1.0, help="seconds between nemesis moves")
    parser.add_argument("--topology", choices=TOPOLOGIES, default="grid")
    parser.add_argument("--op-timeout", type=float, default=1.0, help="seconds a client waits per request")
    parser.add_argument("--recovery", type=float, default=5.0, help="seconds to converge after healing")
    parser.add_argument("--results", type=Path, default=None, help="folder for history, logs and results")
    parser.add_argument("--seed", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> None:
    """The command line entry point, exiting as Jepsen does: 0 when the check passed, 2 when
    the checker could not decide (``unknown``, not valid either), 1 otherwise.
    """
    args = _parser().parse_args(argv)
    results = args.results or Path("maelstrom-results") / (
        f"{args.workload}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    )
    try:
        config = Config(
            workload=args.workload,
            command=tuple(shlex.split(args.bin)),
            node_count=args.node_count,
            time_limit=args.time_limit,
            rate=args.rate,
            concurrency=args.concurrency,
            latency=args.latency / 1000,
            latency_dist=args.latency_dist,
            loss=args.loss,
            nemesis=tuple(n for n in args.nemesis.split(",") if n),
            nemesis_interval=args.nemesis_interval,
            topology=args.topology,
            op_timeout=args.op_timeout,
            recovery=args.recovery,
            results=results,
            seed=args.seed,
        )
    except ValueError as error:
        sys.exit(f"harness: {error}")
    try:
        result = run(config)
    except KeyboardInterrupt:
        sys.exit("harness: interrupted; the nodes were stopped")
    valid = "unknown" if result.verdict == "unknown" else result.valid
    lines = [json.dumps({"workload": config.workload, "valid": valid, **result.stats}, default=repr)]
    lines += [f"error: {error}" for error in result.errors]
    lines += [f"problem: {problem}" for problem in result.check.problems]
    lines += [
        f"results in {result.results}",
        VERDICTS[result.verdict],
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.exit(EXIT_STATUS[result.verdict])
