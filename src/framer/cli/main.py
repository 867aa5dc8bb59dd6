"""Entry point of the ``framer`` command: runs the click group and turns errors into one line and an exit code.

Exit codes: 0 success, 1 error (one sentence on stderr; ``--debug`` shows the traceback), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import logging
import re
import sys

import click

from framer.cli.commands import cli  # the other commands' modules are imported when a command is asked for

__all__ = ["main"]

# API parameters as the CLI spells them: an error raised by the API after the command line was parsed (a check that
# needs the files) names the option the user typed, not the Python parameter.
OPTION_NAMES = {
    "num_frames": "-n/--num-frames",
    "times": "--times",
    "fps": "--fps",
    "resize": "--resize",
    "fit": "--fit",
    "trajectories": "--trajectories/--drag",
    "trajectory_frames": "--drag-frames",
    "rescale_trajectories=True": "--rescale-trajectories",
    "overlay": "--overlay",
    "device": "--device",
    "threads": "--threads",
    "backend": "--backend",
    "precision": "--precision",
    "weights": "--weights",
    "codec": "--codec",
    "crf": "--crf",
    "pix_fmt": "--pix-fmt",
    "multi": "--multi",
    "slowmo": "--slowmo",
    "input_fps": "--input-fps",
    "static_mask": "--static-mask",
    "protect_static": "--protect-static",
    "across_cuts": "--across-cuts",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="framer: %(message)s")
    try:
        code = cli.main(args=args, prog_name="framer", standalone_mode=False)
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
        from framer.errors import UnknownNameError

        click.echo(f"framer: error: {_message(ex)}", err=True)
        return 2 if isinstance(ex, UnknownNameError) else 1  # an unknown engine, model or matcher name is usage
    return code if isinstance(code, int) else 0  # click returns the code of an Exit raised by a command


def _message(ex: Exception) -> str:
    from framer.errors import FramerError
    from framer.io.atomic import out_of_space

    if isinstance(ex, FramerError):
        return in_cli_words(str(ex))
    if isinstance(ex, MemoryError):
        return "ran out of memory; downscale the keyframes with --resize WxH."
    if out_of_space(ex):
        where = f" {ex.filename}" if getattr(ex, "filename", None) else ""
        return f"could not write{where}: {out_of_space(ex)}; free some space and run again."
    if isinstance(ex, OSError) and ex.strerror:
        where = f" {ex.filename}" if ex.filename else ""
        return f"cannot access{where}: {ex.strerror}."
    return f"{type(ex).__name__}: {ex} (run again with --debug for the traceback)."


def in_cli_words(message: str) -> str:
    """An API message with the parameters it names (```num_frames```) spelled as the CLI's options."""
    message = re.sub(r" \((\w+)=True\)", "", message)  # "--resize (resize=True)": the option is named already
    return re.sub(r"`([\w=]+)`", lambda m: OPTION_NAMES.get(m.group(1), m.group(0)), message)
