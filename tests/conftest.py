"""Shared test fixtures: running the real program under the project's mock engine."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import kubernetes_validate.utils as kubernetes_validate_utils
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


# Longest tests first: under pytest-xdist (addopts `-n 2`) a long test that starts last keeps one
# worker busy after the other has finished; started first, it runs alongside everything else.
# The order is otherwise the collection order, and no test depends on another's having run.
_FIRST = (
    "tests/testing/test_checkov.py::test_checkov_finds_nothing_beyond_the_baseline",
    "tests/test_plan.py::test_cli_writes_json_and_manifests",
    "tests/netbench/test_iperf.py::test_real_loopback_runs_parse_to_the_rate_asked_for",
    "tests/netbench/test_report.py::test_report_cli_writes_table_csv_and_png",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {nodeid: i for i, nodeid in enumerate(_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid, len(_FIRST)))


# kubernetes-validate reads and parses its JSON schemas from disk on every `validate` call (the
# shared `_definitions.json` is ~1 MB) and lists its schema folders twice: the same pure work
# hundreds of times a run. Cached per process; jsonschema never mutates a schema.
kubernetes_validate_utils.schema_contents = functools.cache(
    kubernetes_validate_utils.schema_contents
)
kubernetes_validate_utils.all_versions = functools.cache(kubernetes_validate_utils.all_versions)
