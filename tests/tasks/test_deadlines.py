"""Call deadlines: bucket widths bound how late a timeout may fire, never early."""

from __future__ import annotations

import math

import pytest

from spawned.tasks._deadlines import bucket_boundary, bucket_width


@pytest.mark.parametrize("timeout", [0.0, 1e-6, 0.01, 0.05, 0.5, 1.0, 5.0, 60.0, 3600.0])
def test_bucket_width_is_a_power_of_two_between_1_ms_and_62_ms(timeout: float) -> None:
    width = bucket_width(timeout)
    mantissa, _ = math.frexp(width)
    assert mantissa == 0.5
    assert 2.0**-10 <= width <= 2.0**-4
    if 2.0**-10 <= timeout / 64 <= 2.0**-4:
        assert width <= timeout / 64


@pytest.mark.parametrize("now", [0.0, 0.3, 123.456789, 98765.4321])
def test_a_deadline_rounds_up_never_down(now: float) -> None:
    timeout = 0.05
    width = bucket_width(timeout)
    boundary = bucket_boundary(now, timeout)
    assert now + timeout <= boundary < now + timeout + width
    assert math.remainder(boundary, width) == 0
