"""Entry point of the ``framer`` command: runs the click group and turns errors into one line and an exit code.

Exit codes: 0 success, 1 error (one sentence on stderr; ``--debug`` shows the traceback), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import logging
import sys

import click

import framer.cli.evaluate  # noqa: F401
from framer.cli import match as match  # registers `framer match`
from framer.cli import serve as serve  # registers `framer serve` (the alias marks the import as used)
from framer.cli import video  # noqa: F401
from framer.cli.commands import cli

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="framer: %(message)s")
    try:
        cli.main(args=args, prog_name="framer", standalone_mode=False)
    except click.exceptions.Exit as ex:
        return ex.exit_code
    except click.ClickException as ex:
        ex.show()
        return ex.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("framer: stopped.", err=True)
        return 130
    except Exception as ex:
        if debug:
            raise
        click.echo(f"framer: error: {_message(ex)}", err=True)
        return 1
    return 0


def _message(ex: Exception) -> str:
    from framer.errors import FramerError

    if isinstance(ex, FramerError):
        return str(ex)
    if isinstance(ex, MemoryError):
        return "ran out of memory; downscale the keyframes with --resize WxH."
    if isinstance(ex, OSError) and ex.strerror:
        where = f" {ex.filename}" if ex.filename else ""
        return f"cannot access{where}: {ex.strerror}."
    return f"{type(ex).__name__}: {ex} (run again with --debug for the traceback)."
