"""The OpenTelemetry adapter (the ``telemetry`` extra, part of ``test``): spans and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from servers import Crash, Hold, Ping, Recorder

from spawned import CallTimeout, ServerExited, telemetry
from spawned.telemetry import otel
from spawned.testing import TestRuntime


class Otel:
    def __init__(self, *, trace_messages: bool = True) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.instrumentation = otel.instrument(
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[self.reader]),
            trace_messages=trace_messages,
        )

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def total(self, name: str, **attributes: object) -> float:
        """The sum of a counter, or the count of a histogram, over the points with ``attributes``."""
        found = 0.0
        for point in self.points(name):
            if all(point.attributes.get(k) == v for k, v in attributes.items()):
                found += point.count if hasattr(point, "count") else point.value
        return found


@pytest.fixture
def otel_memory() -> Iterator[Otel]:
    memory = Otel()
    with memory.instrumentation:
        yield memory


async def test_calls_messages_and_crashes_become_spans_and_metrics(
    rt: TestRuntime, otel_memory: Otel
) -> None:
    server = await rt.start(Recorder(), name="rec")
    assert await server.call(Ping()) == "pong"
    server.cast("x")
    with pytest.raises(CallTimeout):
        await server.call(Hold(), timeout=0)
    with pytest.raises(ServerExited):
        await server.call(Crash())
    await server.join()

    kind = {"spawned.server.kind": "Recorder", "spawned.backend": rt.backend}
    assert otel_memory.total("spawned.process.starts", **kind) == 1
    assert otel_memory.total("spawned.process.stops", **kind, **{"spawned.exit.clean": False}) == 1
    assert otel_memory.total("spawned.process.crashes", **kind) == 1
    for message_kind, count in [("call", 3), ("cast", 1)]:
        assert (
            otel_memory.total("spawned.messages", **kind, **{"spawned.message.kind": message_kind}) == count
        )
        assert (
            otel_memory.total("spawned.message.duration", **kind, **{"spawned.message.kind": message_kind})
            == count
        )
    assert otel_memory.total("spawned.mailbox.length", **kind) == 4
    for outcome in ("reply", "timeout", "error"):
        assert otel_memory.total("spawned.call.duration", **kind, **{"spawned.call.outcome": outcome}) == 1

    spans = [
        s
        for s in otel_memory.spans.get_finished_spans()
        if (s.attributes or {}).get("spawned.server") == "Recorder 'rec'"
    ]
    calls = [s for s in spans if s.name == "spawned.call"]
    assert [s.kind for s in calls] == [SpanKind.CLIENT] * 3
    assert [s.status.status_code for s in calls] == [StatusCode.UNSET, StatusCode.ERROR, StatusCode.ERROR]
    assert all((s.end_time or 0) >= (s.start_time or 0) > 0 for s in calls)
    assert len([s for s in spans if s.name == "spawned.message"]) == 4
    [crash] = [s for s in spans if s.name == "spawned.process.crash"]
    assert crash.status.status_code == StatusCode.ERROR
    assert [e.name for e in crash.events] == ["exception"]


async def test_restarts_are_counted_and_messages_can_go_untraced(rt: TestRuntime) -> None:
    from spawned import ChildSpec, Supervisor

    memory = Otel(trace_messages=False)
    with memory.instrumentation:
        sup = await rt.start(Supervisor([ChildSpec("r", Recorder)], max_restarts=0))
        [child] = await sup.which_children()
        assert child.handle is not None
        child.handle.cast(Crash())
        assert await sup.join() == "shutdown"
    assert memory.total("spawned.supervisor.max_intensity", **{"spawned.server.kind": "Supervisor"}) == 1
    assert memory.total("spawned.process.crashes", **{"spawned.server.kind": "Recorder"}) == 1
    assert [s.name for s in memory.spans.get_finished_spans()] == ["spawned.call", "spawned.process.crash"]


async def test_uninstrument_detaches(rt: TestRuntime) -> None:
    memory = Otel()
    memory.instrumentation.uninstrument()
    assert all(handler_id[0] != "spawned.telemetry.otel" for handler_id, _ in telemetry.attached())  # type: ignore[index]
    server = await rt.start(Recorder())
    await server.call(Ping())
    await server.stop()
    assert memory.spans.get_finished_spans() == ()
