"""A ticker: send_interval delivers ticks to handle_info until the timer is cancelled.

Run: python examples/ticker.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from spawned import GenServer, Stop, tasks, threads

PERIOD = 0.02
TICKS = 5


class Ticker(GenServer):
    """Ticks every ``PERIOD`` seconds; cancels after ``TICKS`` ticks, then waits ten periods
    to show that no tick comes after the cancel.
    """

    def init(self) -> None:
        self.ticks = 0
        self.late_ticks = 0
        self.cancelled = False
        self.timer = self.send_interval(PERIOD, "tick")

    def handle_info(self, msg: object) -> Stop | None:
        match msg:
            case "tick" if self.cancelled:
                self.late_ticks += 1
            case "tick":
                self.ticks += 1
                print("tick", self.ticks)
                if self.ticks == TICKS:
                    left = self.timer.cancel()
                    print("cancelled; time left until the next tick:", "yes" if left is not None else "none")
                    print("cancelling again:", self.timer.cancel())
                    self.cancelled = True
                    self.handle.send("cancelled")
            case "cancelled":
                self.send_after(10 * PERIOD, "done")
            case "done":
                print("ticks after the cancel:", self.late_ticks)
                return Stop("normal")
            case _:
                pass
        return None


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    ticker = await tasks.start(Ticker())
    print("ticker exited:", await ticker.join())


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    ticker = threads.start(Ticker())
    print("ticker exited:", ticker.join())


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
tick 1
tick 2
tick 3
tick 4
tick 5
cancelled; time left until the next tick: yes
cancelling again: None
ticks after the cancel: 0
ticker exited: normal
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
