"""Adversarial review of spawned.sim.lincheck: hostile times and titles, and hand-checked
histories in the style of Knossos' and Porcupine's test suites.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from spawned.sim.lincheck import (
    Cas,
    CasRegister,
    Dequeue,
    Enqueue,
    History,
    Invoke,
    Ok,
    Queue,
    Read,
    Register,
    Write,
    check,
    visualize,
)


def _strict_page_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.DOTALL)
    assert match is not None

    def refuse(constant: str) -> None:
        msg = f"{constant} is not JSON: the page's JSON.parse fails on it"
        raise ValueError(msg)

    return json.loads(match.group(1), parse_constant=refuse)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_from_intervals_refuses_a_time_that_is_not_finite(bad: float) -> None:
    # A NaN time made the events' sort meaningless (every comparison with NaN is False),
    # so the checker judged operations in an arbitrary order.
    with pytest.raises(ValueError, match=r"interval 1 .* a finite number"):
        History.from_intervals([("a", Write(1), None, 0.0, 1.0), ("b", Read(), 1, bad, 2.0)])


def test_a_history_clock_that_returns_nan_is_refused() -> None:
    history = History(clock=lambda: math.nan)
    with pytest.raises(ValueError, match=r"clock returned nan"):
        history.invoke("a", Write(1))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_from_events_refuses_a_time_that_is_not_finite(bad: float) -> None:
    # An infinite time reached the page as Infinity, which JSON.parse refuses: it drew nothing.
    with pytest.raises(ValueError, match=r"event 1: its time is (nan|inf); event times must be a finite"):
        History.from_events([Invoke(0, "a", Write(1)), Ok(0, None, bad)])


def test_a_title_that_names_the_data_placeholder_stays_a_title(tmp_path: Path) -> None:
    history = History()
    history.ok(history.invoke("a", Write(1)))
    page = visualize(history, None, tmp_path / "t.html", title="__DATA__").read_text()
    assert "<title>__DATA__</title>" in page
    assert _strict_page_data(page)["ops"][0]["client"] == 0


# -- hand-checked histories ------------------------------------------------------------------


def test_knossos_a_read_cannot_see_a_value_then_an_older_one() -> None:
    # write 1 completes; write 2 is concurrent with two sequential reads that see 2, then 1.
    history = History.from_intervals(
        [
            ("w1", Write(1), None, 0.0, 1.0),
            ("w2", Write(2), None, 2.0, 10.0),
            ("r1", Read(), 2, 3.0, 4.0),
            ("r2", Read(), 1, 5.0, 6.0),
        ]
    )
    result = check(history, Register())
    assert result.verdict == "illegal"
    assert result.failed is not None
    assert result.failed.op == Read()
    assert result.failed.result == 1


def test_knossos_a_timed_out_cas_may_explain_a_later_read() -> None:
    # cas(0, 1) times out; a later read of 1 is explained by the cas taking effect late.
    history = History()
    cas = history.invoke("a", Cas(0, 1))
    history.timeout(cas)
    history.ok(history.invoke("b", Read()), 1)
    assert check(history, CasRegister(initial=0)).verdict == "ok"


def test_knossos_a_failed_cas_cannot_explain_a_later_read() -> None:
    history = History()
    history.fail(history.invoke("a", Cas(0, 1)))
    history.ok(history.invoke("b", Read()), 1)
    assert check(history, CasRegister(initial=0)).verdict == "illegal"


def test_queue_concurrent_enqueues_may_come_out_in_either_order() -> None:
    history = History.from_intervals(
        [
            ("a", Enqueue(1), None, 0.0, 2.0),
            ("b", Enqueue(2), None, 1.0, 3.0),
            ("c", Dequeue(), 2, 4.0, 5.0),
            ("c", Dequeue(), 1, 6.0, 7.0),
        ]
    )
    assert check(history, Queue()).verdict == "ok"


def test_queue_sequential_enqueues_come_out_in_order() -> None:
    history = History.from_intervals(
        [
            ("a", Enqueue(1), None, 0.0, 1.0),
            ("b", Enqueue(2), None, 2.0, 3.0),
            ("c", Dequeue(), 2, 4.0, 5.0),
        ]
    )
    assert check(history, Queue()).verdict == "illegal"


def test_a_timed_out_read_constrains_nothing_but_takes_no_effect_twice() -> None:
    # Every operation timed out: any outcome is possible, linearizable.
    history = History()
    for n in range(12):
        history.timeout(history.invoke(f"c{n}", Write(n)))
    history.timeout(history.invoke("r", Read()))
    assert check(history, Register()).verdict == "ok"
