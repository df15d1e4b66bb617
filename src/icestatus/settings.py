"""Numbers read from the environment (limits and timeouts): one rule, one message."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def env_number(name: str, default: N, unit: str, error: Callable[[str], Exception], *, positive: bool = True) -> N:
    """``$name`` as a number of *unit*, of the type of *default* (int or float); *default*
    when it is unset or blank. Raises ``error(message)`` with one line naming the variable
    and its value when it is not a number, or (*positive*) not above zero: a 0 or -1 limit
    would refuse everything with a message about something else."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value: N | None = type(default)(raw)
    except ValueError:
        value = None
    if value is None or math.isnan(value) or (positive and not value > 0):
        raise error(f"{name}={raw!r} is not a {'positive ' if positive else ''}number of {unit}")
    return value
