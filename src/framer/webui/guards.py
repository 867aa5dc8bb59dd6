"""ASGI middleware that keeps the web UI safe by default: a request size limit, a same-origin request header on
every change, and response headers that forbid loading anything from elsewhere."""

from __future__ import annotations

import json

__all__ = ["BodyLimit", "RequestGuard", "SecurityHeaders", "json_error"]

# Pages of this server send it on every POST/DELETE; a form or script on another site cannot (not without a CORS
# preflight, which this server never answers), so other sites cannot make it do work.
REQUEST_HEADER = b"x-framer-request"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def json_error(status: int, message: str) -> tuple[dict, dict]:
    """The ``http.response.start`` and ``http.response.body`` messages of a JSON error ``{"error": message}``."""
    body = json.dumps({"error": message}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, from ``Content-Length`` or while streaming."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return (
            f"The request is larger than this server accepts ({self.max_bytes / 2**20:.0f} MiB); send smaller "
            "or fewer images."
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            for message in json_error(413, self._message()):
                await send(message)
            return
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message) -> None:
            if state["over"]:  # whatever the app answers to a cut-off body, the client gets the 413
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    for part in json_error(413, self._message()):
                        await send(part)
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
            if not state["started"]:
                for message in json_error(413, self._message()):
                    await send(message)


class RequestGuard:
    """Refuse POST, PUT, PATCH and DELETE requests without the ``X-Framer-Request`` header (403)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        changes = scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE")
        if changes and REQUEST_HEADER not in dict(scope["headers"]):
            message = "Requests that change something must come from framer's own page (X-Framer-Request header)."
            for part in json_error(403, message):
                await send(part)
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add a strict Content-Security-Policy (nothing from other origins), nosniff and no-referrer to responses."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
