"""Fixtures of the batch tests: clips with and without a scene cut, and the path workers import test engines from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # batch_helpers, for spawned workers too (they get this sys.path)
_PATH = [str(HERE), str(HERE.parent)]
os.environ["PYTHONPATH"] = os.pathsep.join([*_PATH, *filter(None, [os.environ.get("PYTHONPATH")])])  # Ray workers


@pytest.fixture(scope="session")
def clips(tmp_path_factory, shared_data) -> dict[str, Path]:
    from batch_helpers import make_clips

    return make_clips(tmp_path_factory.mktemp("clips"), shared_data)
