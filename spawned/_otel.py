"""The OpenTelemetry adapter: ``instrument()`` turns spawned's events into spans and metrics.

Needs the ``telemetry`` extra: ``pip install 'spawned[telemetry]'``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

try:
    from opentelemetry import metrics, trace
except ImportError as error:  # pragma: no cover - exercised by hand, without the extra
    msg = "spawned.telemetry.otel needs OpenTelemetry: pip install 'spawned[telemetry]'"
    raise ImportError(msg) from error

from . import _telemetry

_ids = itertools.count(1)


def _attributes(metadata: Mapping[str, Any]) -> dict[str, str]:
    """What every span and data point carries: the kind of server and the backend (few values)."""
    return {"spawned.server.kind": str(metadata["server_kind"]), "spawned.backend": str(metadata["backend"])}


class Instrumentation:
    """What [`instrument`][spawned.telemetry.otel.instrument] attached: turn it off with
    [`uninstrument`][spawned.telemetry.otel.Instrumentation.uninstrument], or use it as a
    context manager.
    """

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None,
        meter_provider: metrics.MeterProvider | None,
        trace_messages: bool,
    ) -> None:
        self._tracer = trace.get_tracer("spawned", tracer_provider=tracer_provider)
        meter = metrics.get_meter("spawned", meter_provider=meter_provider)
        self._trace_messages = trace_messages
        self._messages = meter.create_counter(
            "spawned.messages",
            unit="{message}",
            description="Messages handled by servers",
        )
        self._message_duration = meter.create_histogram(
            "spawned.message.duration", unit="s", description="Time a server took to handle one message"
        )
        self._queue_length = meter.create_histogram(
            "spawned.mailbox.length",
            unit="{message}",
            description="Messages still waiting in a server's mailbox when it took one",
        )
        self._call_duration = meter.create_histogram(
            "spawned.call.duration", unit="s", description="Call latency at the caller, by outcome"
        )
        self._starts = meter.create_counter(
            "spawned.process.starts", unit="{process}", description="Servers started"
        )
        self._stops = meter.create_counter(
            "spawned.process.stops", unit="{process}", description="Servers that exited, clean or not"
        )
        self._crashes = meter.create_counter(
            "spawned.process.crashes",
            unit="{process}",
            description="Servers that crashed",
        )
        self._restarts = meter.create_counter(
            "spawned.supervisor.restarts", unit="{restart}", description="Restarts decided by supervisors"
        )
        self._give_ups = meter.create_counter(
            "spawned.supervisor.max_intensity",
            unit="{supervisor}",
            description="Supervisors that reached their restart intensity and shut down",
        )
        self._handler_id = ("spawned.telemetry.otel", next(_ids))
        _telemetry.attach(self._handler_id, _telemetry.EVENTS, self._handle)

    def uninstrument(self) -> None:
        """Detach from spawned's events; the providers and what they recorded stay as they are."""
        _telemetry.detach(self._handler_id)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.uninstrument()

    def _handle(self, event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:
        attributes = _attributes(metadata)
        if event == _telemetry.MESSAGE:
            attributes["spawned.message.kind"] = str(metadata["message_kind"])
            self._messages.add(1, attributes)
            self._message_duration.record(measurements["duration"], attributes)
            self._queue_length.record(measurements["queue_length"], attributes)
            if self._trace_messages:
                self._span("spawned.message", trace.SpanKind.CONSUMER, measurements, metadata, attributes)
        elif event == _telemetry.CALL:
            attributes["spawned.call.outcome"] = str(metadata["outcome"])
            self._call_duration.record(measurements["duration"], attributes)
            error = metadata["error"]
            self._span("spawned.call", trace.SpanKind.CLIENT, measurements, metadata, attributes, error=error)
        elif event == _telemetry.PROCESS_START:
            self._starts.add(1, attributes)
        elif event == _telemetry.PROCESS_STOP:
            self._stops.add(1, {**attributes, "spawned.exit.clean": bool(metadata["clean"])})
        elif event == _telemetry.PROCESS_CRASH:
            self._crashes.add(1, attributes)
            reason = metadata["reason"]
            error = reason if isinstance(reason, BaseException) else None
            kind = trace.SpanKind.INTERNAL
            self._span("spawned.process.crash", kind, {}, metadata, attributes, error=error, reason=reason)
        elif event == _telemetry.SUPERVISOR_RESTART:
            self._restarts.add(1, attributes)
        elif event == _telemetry.SUPERVISOR_MAX_INTENSITY:
            self._give_ups.add(1, attributes)

    def _span(  # noqa: PLR0913 - one place that turns an event into a finished span
        self,
        name: str,
        kind: trace.SpanKind,
        measurements: Mapping[str, float],
        metadata: Mapping[str, Any],
        attributes: dict[str, str],
        *,
        error: BaseException | None = None,
        reason: object = None,
    ) -> None:
        """A span that ended now and lasted ``measurements["duration"]`` (0 if none)."""
        end = time.time_ns()
        start = end - int(measurements.get("duration", 0.0) * 1e9)
        span = self._tracer.start_span(
            name,
            kind=kind,
            attributes={**attributes, "spawned.server": str(metadata["server"])},
            start_time=start,
        )
        if error is not None:
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        elif reason is not None:
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"exit reason {reason!r}"))
        span.end(end_time=end)


def instrument(
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    trace_messages: bool = True,
) -> Instrumentation:
    """Turn spawned's telemetry events into OpenTelemetry spans and metrics.

    Spans: ``spawned.call`` (client, at the caller, ERROR with the exception on a timeout or
    failure), ``spawned.message`` (consumer, one per message handled, unless
    ``trace_messages=False``) and ``spawned.process.crash`` (ERROR, with the exception).
    Every span carries ``spawned.server`` (the server's label), ``spawned.server.kind``
    and ``spawned.backend``.

    Metrics (attributes ``spawned.server.kind`` and ``spawned.backend``, so few series):
    counters ``spawned.messages`` (and ``spawned.message.kind``),
    ``spawned.process.starts``, ``spawned.process.stops`` (and ``spawned.exit.clean``),
    ``spawned.process.crashes``, ``spawned.supervisor.restarts``,
    ``spawned.supervisor.max_intensity``; histograms ``spawned.message.duration`` (s),
    ``spawned.mailbox.length`` and ``spawned.call.duration`` (s, and ``spawned.call.outcome``).

    Args:
        tracer_provider: where spans go; the global one (``opentelemetry.trace``) if ``None``.
        meter_provider: where metrics go; the global one if ``None``.
        trace_messages: a span per message handled (a busy service may prefer the metrics only).

    Returns:
        The attached [`Instrumentation`][spawned.telemetry.otel.Instrumentation]; call its
        ``uninstrument()`` (or leave its ``with`` block) to stop. Each call attaches anew.
    """
    return Instrumentation(tracer_provider, meter_provider, trace_messages)
