"""The ``framer serve`` command: start the web UI (``framer.webui``) with uvicorn and print its address."""

from __future__ import annotations

import ipaddress
import signal
import socket

import click

from framer.cli.commands import cli
from framer.cli.options import check_device, debug_option

__all__ = ["serve"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed_hosts(host: str) -> tuple[str, ...]:
    """``Host`` header values the app accepts: loopback names, plus the address it was asked to listen on."""
    from framer.webui.app import LOOPBACK_HOSTS

    if host in ("0.0.0.0", "::", ""):
        return ("*",)
    return LOOPBACK_HOSTS if _is_loopback(host) else (*LOOPBACK_HOSTS, f"[{host}]" if ":" in host else host)


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as ex:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({ex.strerror or ex}); choose another --port or --host."
        ) from None
    return sock


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on; anything but a loopback address makes the UI reachable from other machines.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=7860, show_default=True, help="Port (0: any free one).")
@click.option(
    "--device", default="cpu", show_default=True, metavar="cpu|cuda|mps|auto", callback=check_device,
    help="Where to compute.",
)  # fmt: skip
@click.option("--threads", type=click.IntRange(min=1), default=None, metavar="N", help="CPU threads for PyTorch.")
@click.option("--max-upload-mb", type=click.IntRange(min=1), default=64, show_default=True, help="Largest request.")
@click.option(
    "--max-side", type=click.IntRange(min=16), default=2048, show_default=True, help="Largest keyframe side in pixels."
)
@click.option(
    "--max-frames", type=click.IntRange(min=1), default=60, show_default=True, help="Most in-betweens per gap."
)
@debug_option
def serve(host, port, device, threads, max_upload_mb, max_side, max_frames, debug) -> None:
    """Start the web UI: load keyframes, draw trajectories, generate and download the in-betweens.

    \b
    Examples:
      framer serve                      # http://127.0.0.1:7860/, this machine only
      framer serve --port 8000 --threads 4
    """
    try:
        import uvicorn
    except ImportError:
        from framer.errors import MissingExtraError

        raise MissingExtraError("framer serve needs the 'web' extra: pip install 'framer-vfi[web]'.") from None
    from framer.webui.app import WebSettings, create_app

    options = {"device": device} | ({"threads": threads} if threads else {})
    settings = WebSettings(
        max_request_bytes=max_upload_mb * 2**20,
        max_side=max_side,
        max_frames=max_frames,
        engine_options=options,
        allowed_hosts=_allowed_hosts(host),
    )
    sock = _listen(host, port)
    app = create_app(settings)
    actual_port = sock.getsockname()[1]
    click.echo(f"framer: the web UI is at {_url(host, actual_port)} (Ctrl-C to stop)", err=False)
    if not _is_loopback(host):
        click.echo("framer: warning: other machines can reach this server, and it has no login.", err=True)
    config = uvicorn.Config(app, log_level="debug" if debug else "warning", access_log=debug, lifespan="on")
    server = _server(uvicorn, config)
    server.run(sockets=[sock])
    if server.interrupted:  # uvicorn re-raises Ctrl-C after its shutdown, but asyncio may swallow it: exit 130
        raise KeyboardInterrupt


def _server(uvicorn, config):
    """A uvicorn server that remembers whether Ctrl-C stopped it."""

    class Server(uvicorn.Server):
        interrupted = False

        def handle_exit(self, sig: int, frame) -> None:
            self.interrupted = self.interrupted or sig == signal.SIGINT
            super().handle_exit(sig, frame)

    return Server(config)
