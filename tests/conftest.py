"""Shared fixtures: paths to the shared test data and to the sample frames shipped in the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"The shared test data folder {SHARED_DATA} is missing; it must sit beside the checkout.")
    return SHARED_DATA


@pytest.fixture(scope="session")
def street_pair() -> tuple[Path, Path]:
    return EXAMPLES / "street" / "i0.png", EXAMPLES / "street" / "i1.png"


@pytest.fixture(scope="session")
def flow_engine():
    """One flow engine for the whole session (weights fetched the way a user gets them, then cached)."""
    import framer

    return framer.create_engine("flow", device="cpu")
