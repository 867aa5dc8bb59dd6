"""Helpers shared by the test modules (imported as ``from helpers.video import BlendEngine``; pytest puts ``tests/``
on ``sys.path`` through ``pythonpath`` in pyproject.toml). Test modules import these, never each other."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
DATA = TESTS / "data"  # committed test data (references); the large shared data sits beside the checkout

__all__ = ["DATA", "REPO", "TESTS"]
