"""Exact rounding of rational numbers (means, rates) to a decimal step.

Means of several assessors and satisfaction rates are fractions such as 2/3; they are kept as
:class:`fractions.Fraction` until the one rounding the standard prescribes, so no intermediate
28-digit ``Decimal`` division can move a value across a tie.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal

RoundingMode = Literal["half_up", "half_down", "up", "down"]
ROUNDING_MODES: tuple[RoundingMode, ...] = ("half_up", "half_down", "up", "down")


def round_to_step(value: Fraction | Decimal | int, step: Decimal, mode: RoundingMode) -> Decimal:
    """``value`` rounded to a multiple of ``step`` (a positive decimal such as 0.5 or 0.01).

    For the non-negative values used here: ``half_up`` takes a tie (22.25 with step 0.5) up
    to 22.5, ``half_down`` down to 22, ``up`` always up, ``down`` always down.
    """
    if step <= 0:
        raise ValueError("step must be positive")
    steps = Fraction(value) / Fraction(step)
    low = math.floor(steps)
    rest = steps - low
    if mode == "down":
        count = low
    elif mode == "up":
        count = low if rest == 0 else low + 1
    elif mode == "half_up":
        count = low + 1 if rest >= Fraction(1, 2) else low
    elif mode == "half_down":
        count = low + 1 if rest > Fraction(1, 2) else low
    else:  # pragma: no cover - guarded by the Literal type and the loader
        raise ValueError(f"unknown rounding mode {mode!r}")
    return _exact_decimal(count * Fraction(step), step)


def _exact_decimal(value: Fraction, step: Decimal) -> Decimal:
    """A multiple of ``step`` as a Decimal with the step's places (e.g. 22.5, 90.00)."""
    exponent = step.as_tuple().exponent
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    scaled = value * 10**places
    assert scaled.denominator == 1, "a multiple of the step has at most the step's places"
    return Decimal(scaled.numerator).scaleb(-places)


def percent(rate: Fraction, places: int) -> Decimal:
    """A rate (0..1) as a percentage rounded half up to ``places`` (2/3 -> 66.7 with 1 place)."""
    return round_to_step(rate * 100, Decimal(1).scaleb(-places), "half_up")
