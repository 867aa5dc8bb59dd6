"""``framer serve``: starts the web UI on a loopback address, prints where, stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

from framer.cli.serve import _allowed_hosts, _url


def _first_line(stream, timeout: float) -> str:
    """The first line of ``stream``, or "" if none comes within ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


def test_serve_prints_its_address_serves_the_page_and_stops_on_ctrl_c(tmp_path):
    temp = tmp_path / "temp"  # the server's private folder goes here, and must be gone after it stops
    temp.mkdir()
    env = dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(temp))
    process = subprocess.Popen(
        [sys.executable, "-m", "framer", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = _first_line(process.stdout, timeout=60)
        assert line.startswith("framer: the web UI is at http://127.0.0.1:"), (line, process.poll())
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/config", timeout=10) as response:
            assert json.load(response)["engines"]
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert '<script type="module" src="/static/js/main.js"></script>' in page
        assert "://" not in page  # nothing is fetched from elsewhere
        assert [path.name[:11] for path in temp.iterdir()] == ["framer-web-"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 130, process.stderr.read()  # framer's exit code for an interrupted command
    assert "framer: stopped." in process.stderr.read()
    assert not list(temp.iterdir())


def test_serve_on_a_busy_port_says_so(run_framer):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_framer("serve", "--port", port, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_serve_accepts_loopback_host_names_only_unless_asked():
    assert _allowed_hosts("127.0.0.1") == ("127.0.0.1", "localhost", "[::1]")
    assert _allowed_hosts("::1") == ("127.0.0.1", "localhost", "[::1]")
    assert _allowed_hosts("192.168.1.20") == ("127.0.0.1", "localhost", "[::1]", "192.168.1.20")
    assert _allowed_hosts("fd00::5") == ("127.0.0.1", "localhost", "[::1]", "[fd00::5]")
    assert _allowed_hosts("0.0.0.0") == ("*",)
    assert _url("0.0.0.0", 7860) == "http://127.0.0.1:7860/"
    assert _url("::1", 8000) == "http://[::1]:8000/"
