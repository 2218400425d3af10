"""Fixtures for the time-semantics soundness tests; the data and definitions live in clock_data.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "soundness"))

from clock_data import CLOCK_DEFINITIONS, CLOCK_TABLES  # noqa: E402
from soundness_helpers import Checker, write_project  # noqa: E402


class ClockChecker(Checker):
    """Checker whose comparisons refuse an empty expectation: an empty result proves nothing."""

    def check(self, hand_sql: str, *, ordered: bool = False, allow_empty: bool = False, **kwargs):
        result = super().check(hand_sql, ordered=ordered, **kwargs)
        assert allow_empty or result.rows, "the reference query returned no rows"
        return result


@pytest.fixture(scope="session")
def clock(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("clock"), CLOCK_DEFINITIONS, CLOCK_TABLES)
    checker = ClockChecker(root)
    yield checker
    checker.close()

