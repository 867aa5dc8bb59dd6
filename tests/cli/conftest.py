"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest

from framer.cli.main import main


@pytest.fixture
def cli(capsys):
    """Run ``framer ARGS`` in this process; returns (exit code, stdout, stderr)."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
