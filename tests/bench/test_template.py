"""The template benchmark's verdict on growth with the number of routes: super-linear growth
fails it; linear growth, or a large fixed cost and a small per-route cost, passes."""

from __future__ import annotations

import math

import pytest

from bench.template import ROUTE_COUNTS, spread, super_linear

QUIET = 0.001
"""A quiet machine's spread between rounds (seconds)."""


def seconds(cost_ms):
    return {n: cost_ms(n) / 1000 for n in ROUTE_COUNTS}


@pytest.mark.parametrize(
    "measured",
    [
        {10: 0.2803, 100: 0.2889, 300: 0.2982},  # a quiet run: 280 ms fixed, flatter than linear
        {10: 0.1249, 100: 0.1333, 300: 0.1548},  # the run before: about linear
        seconds(lambda n: 100 + 2 * n),
        seconds(lambda n: 280 + 0.05 * n),
        seconds(lambda n: 100 + 0.5 * n * math.log2(n)),
        seconds(lambda n: 300 + 15 * math.sqrt(n)),
    ],
    ids=["flat", "linear-measured", "linear", "fixed-cost", "n-log-n", "sqrt"],
)
def test_linear_or_flatter_growth_passes(measured):
    excess, allowed = super_linear(measured, QUIET)
    assert excess <= allowed


@pytest.mark.parametrize(
    "measured",
    [
        seconds(lambda n: 100 + 0.002 * n**2),
        seconds(lambda n: 280 + 0.0005 * n**2),  # quadratic under a large fixed cost
        seconds(lambda n: 280 + 0.0002 * n**2),  # a 5%-of-t300 allowance let it pass
        seconds(lambda n: 120 + 0.1 * n + 0.001 * n**2),
        seconds(lambda n: 100 + 0.00001 * n**3),
    ],
    ids=[
        "quadratic",
        "quadratic-over-fixed-cost",
        "small-quadratic-over-fixed-cost",
        "linear-plus-quadratic",
        "cubic",
    ],
)
def test_super_linear_growth_fails(measured):
    excess, allowed = super_linear(measured, QUIET)
    assert excess > allowed


def test_a_wobble_within_the_rounds_spread_passes():
    """Linear growth whose last median came out 10 ms high, in rounds that spread by 5 ms."""
    measured = seconds(lambda n: 280 + 0.05 * n + (10 if n == ROUTE_COUNTS[-1] else 0))
    excess, allowed = super_linear(measured, 0.005)
    assert 0 < excess <= allowed
    assert super_linear(measured, QUIET)[0] > super_linear(measured, QUIET)[1]


def test_the_spread_is_the_widest_median_deviation_of_one_count_s_rounds():
    samples = {10: [0.100, 0.101, 0.099, 0.150], 100: [0.2, 0.2, 0.204, 0.196, 0.2]}
    assert spread(samples) == pytest.approx(0.001)
