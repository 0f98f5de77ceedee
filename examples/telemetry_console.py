"""Telemetry: spawned's events as OpenTelemetry spans and metrics, printed to the console.

Run: python examples/telemetry_console.py [--backend asyncio|trio|threads] [--console]

By default the spans and metrics go to in-memory exporters and the example prints what they
hold as counts (so its output is the same from run to run); ``--console`` sends them to
OpenTelemetry's console exporters instead, timings and all. Needs ``pip install 'spawned[telemetry]'``.
"""

from __future__ import annotations

import sys
from collections import Counter as Tally
from collections.abc import Mapping
from typing import Any

from _cli import run_example

# --8<-- [start:imports]
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    InMemoryMetricReader,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spawned import Caller, ChildSpec, GenServer, Reply, ServerExited, Supervisor, tasks, telemetry, threads
from spawned.telemetry import otel

# --8<-- [end:imports]

# --8<-- [start:hook]


def print_crashes(event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:  # noqa: ARG001
    """A plain handler: one line per crash (it runs in the crashed server's task or thread)."""
    print(f"{event}: {metadata['server']} ({metadata['reason']!r})")


# --8<-- [end:hook]


# --8<-- [start:otel]
def providers(spans: SpanExporter, reader: MetricReader) -> tuple[TracerProvider, MeterProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    return tracer_provider, MeterProvider(metric_readers=[reader])


def console_providers() -> tuple[TracerProvider, MeterProvider]:
    """Every span and metric printed as JSON by OpenTelemetry's console exporters."""
    return providers(ConsoleSpanExporter(), PeriodicExportingMetricReader(ConsoleMetricExporter()))


# --8<-- [end:otel]

# --8<-- [start:servers]


class Counter(GenServer[str, int, int]):
    def init(self) -> None:
        self.total = 0

    def handle_cast(self, msg: int) -> None:
        self.total += msg

    def handle_call(self, msg: str, caller: Caller[int]) -> Reply[int]:
        if msg == "boom":
            raise RuntimeError("boom on request")
        return Reply(self.total)


TREE = Supervisor([ChildSpec("counter", Counter, name="counter")])
# --8<-- [end:servers]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    tree = await tasks.start(TREE, name="tree")
    counter = tasks.whereis("counter")
    if counter is None:
        raise LookupError("counter is not registered")
    for n in (1, 2, 3):
        counter.cast(n)
    print("total:", await counter.call("total"))
    try:
        await counter.call("boom")
    except ServerExited:
        print("the counter crashed; its supervisor restarts it")
    await counter.join()
    await tree.which_children()  # answered once the supervisor has restarted the counter
    print("total after the restart:", await tasks.call("counter", "total"))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    tree = threads.start(TREE, name="tree")
    counter = threads.whereis("counter")
    if counter is None:
        raise LookupError("counter is not registered")
    for n in (1, 2, 3):
        counter.cast(n)
    print("total:", counter.call("total"))
    try:
        counter.call("boom")
    except ServerExited:
        print("the counter crashed; its supervisor restarts it")
    counter.join()
    tree.which_children()  # answered once the supervisor has restarted the counter
    print("total after the restart:", threads.call("counter", "total"))


# --8<-- [end:threads]


# --8<-- [start:report]
def report(spans: InMemorySpanExporter, reader: InMemoryMetricReader) -> None:
    """What the exporters hold, as counts: the same on every run and every backend."""
    names = Tally(
        f"{span.name} {(span.attributes or {}).get('spawned.server.kind')}"
        for span in spans.get_finished_spans()
    )
    print("spans:")
    for name, count in sorted(names.items()):
        print(f"  {name}: {count}")
    print("metrics (servers of kind Counter):")
    data = reader.get_metrics_data()
    for metric in sorted(
        (m for r in (data.resource_metrics if data else ()) for s in r.scope_metrics for m in s.metrics),
        key=lambda m: m.name,
    ):
        lines: list[str] = []
        for point in metric.data.data_points:
            attributes = dict(point.attributes or {})
            if attributes.pop("spawned.server.kind", None) != "Counter":
                continue
            attributes.pop("spawned.backend", None)
            shown = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in sorted(attributes.items()))
            value = getattr(point, "count", None) or getattr(point, "value", 0)  # histogram: how many
            lines.append(f"  {metric.name}{{{shown}}}: {value}" if shown else f"  {metric.name}: {value}")
        for line in sorted(lines):
            print(line)


# --8<-- [end:report]


# --8<-- [start:main]
def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    console = "--console" in argv
    telemetry.attach("print-crashes", telemetry.PROCESS_CRASH, print_crashes)
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider, meter_provider = console_providers() if console else providers(spans, reader)
    with otel.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, trace_messages=False
    ):
        run_example(main_tasks, main_threads, [a for a in argv if a != "--console"], __doc__)
    telemetry.detach("print-crashes")
    if not console:
        report(spans, reader)
    meter_provider.shutdown()  # a console reader prints its last metrics here


# --8<-- [end:main]


# --8<-- [start:expected]
EXPECTED = """\
total: 6
spawned.process.crash: Counter 'counter' (RuntimeError('boom on request'))
the counter crashed; its supervisor restarts it
total after the restart: 0
spans:
  spawned.call Counter: 3
  spawned.call Supervisor: 1
  spawned.process.crash Counter: 1
metrics (servers of kind Counter):
  spawned.call.duration{outcome=error}: 1
  spawned.call.duration{outcome=reply}: 2
  spawned.mailbox.length{kind=call}: 3
  spawned.mailbox.length{kind=cast}: 3
  spawned.message.duration{kind=call}: 3
  spawned.message.duration{kind=cast}: 3
  spawned.messages{kind=call}: 3
  spawned.messages{kind=cast}: 3
  spawned.process.crashes: 1
  spawned.process.starts: 2
  spawned.process.stops{clean=False}: 1
  spawned.process.stops{clean=True}: 1
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
