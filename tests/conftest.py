"""Shared test fixtures: running the real program under the project's mock engine."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.testing.mock_engine import PlanResult  # noqa: E402
from components.testing.plan import plan  # noqa: E402

_CACHE: dict[tuple[str, tuple[str, ...]], PlanResult] = {}


def planned(stack: str, *overrides: str) -> PlanResult:
    """The offline plan of a stack (+ `-c` overrides), cached: plans are deterministic."""
    key = (stack, overrides)
    if key not in _CACHE:
        _CACHE[key] = plan(stack, overrides)
    return _CACHE[key]


@pytest.fixture
def plan_of() -> Callable[..., PlanResult]:
    return planned
