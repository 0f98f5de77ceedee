"""Turn the suite's JSON lines into the Markdown table of docs/performance.md.

Usage: ``python -m benchmarks > figures.jsonl`` then ``python -m benchmarks.table < figures.jsonl``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

HEADER = (
    "| figure | backend | live | spawned | floor | floor is | ratio | target | met |\n"
    "|---|---|---:|---:|---:|---|---:|---|---|"
)


def row(record: dict[str, Any]) -> str:
    unit = record["unit"]
    met = record.get("met")
    cells = [
        record["name"],
        record["backend"],
        str(record.get("live", "")),
        f"{_number(record['value'])} {unit}",
        f"{_number(record['floor'])} {unit}",
        record["floor_name"],
        f"{record['ratio']:.2f}",
        record.get("target", ""),
        "" if met is None else ("yes" if met else "**no**"),
    ]
    return "| " + " | ".join(cells) + " |"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def main() -> None:
    print(HEADER)
    for line in sys.stdin:
        if line.strip():
            print(row(json.loads(line)))


if __name__ == "__main__":
    main()
