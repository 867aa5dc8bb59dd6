"""The web UI: draw the motion on the keyframes in a browser, watch the in-betweens come out (``framer serve``).

Needs the ``web`` extra (FastAPI, uvicorn, python-multipart). The page is plain HTML, CSS and JavaScript in
``static/`` (no build step, nothing fetched from the internet); the server uses framer's public Python API only.

>>> from framer.webui import create_app, WebSettings          # doctest: +SKIP
>>> app = create_app(WebSettings(max_side=1024))              # an ASGI app, e.g. for uvicorn   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["WebSettings", "create_app"]

if TYPE_CHECKING:
    from framer.webui.app import WebSettings, create_app


def __getattr__(name: str):
    if name in __all__:
        value = getattr(importlib.import_module("framer.webui.app"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'framer.webui' has no attribute {name!r}")
