"""The web UI's error answers: every failure becomes ``{"error": "one sentence"}`` with a fitting HTTP status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from framer.errors import FramerError, InputError, MissingExtraError, ResourceError
from framer.webui.jobs import QueueFullError
from framer.webui.storage import NotFoundError, TooLargeError

__all__ = ["AutopilotUnavailable", "add_error_handlers", "error_response", "validation_message"]

logger = logging.getLogger("framer.webui.app")  # where these messages were always logged


class AutopilotUnavailable(FramerError, RuntimeError):
    """framer.matching (the autopilot) is not part of this installation."""


_STATUS = (
    (NotFoundError, 404),
    (TooLargeError, 413),
    (QueueFullError, 429),
    (AutopilotUnavailable, 501),
    (MissingExtraError, 503),
    (ResourceError, 413),
    (InputError, 400),
    (FramerError, 400),
)


def error_response(status: int, message: str) -> JSONResponse:
    """``{"error": message}`` with ``status``."""
    return JSONResponse({"error": message}, status_code=status)


def validation_message(ex: RequestValidationError) -> str:
    """One sentence from pydantic's errors, naming the field."""
    first = ex.errors()[0]
    if first.get("type") == "json_invalid":
        return f"The request body is not valid JSON ({first.get('ctx', {}).get('error', 'cannot parse it')})."
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "extra_forbidden":
        return f"Field {where!r} is not known here."
    return f"Field {where!r}: {first.get('msg', 'is not valid')}." if where else f"{first.get('msg')}."


async def _framer_error(_request: Request, ex: FramerError) -> JSONResponse:
    status = next(code for kind, code in _STATUS if isinstance(ex, kind))
    return error_response(status, str(ex))


async def _validation_error(_request: Request, ex: RequestValidationError) -> JSONResponse:
    return error_response(400, validation_message(ex))


async def _internal_error(_request: Request, ex: Exception) -> JSONResponse:
    logger.error("internal error", exc_info=ex)
    return error_response(500, f"Internal error ({type(ex).__name__}: {ex}); see the server's log.")


async def _http_error(_request: Request, ex: HTTPException) -> JSONResponse:
    message = ex.detail if isinstance(ex.detail, str) else "The request cannot be handled."
    if ex.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address."
    return error_response(ex.status_code, message if message.endswith(".") else message + ".")


def add_error_handlers(app: FastAPI) -> None:
    """Answer framer's errors, invalid requests, HTTP errors and anything unexpected with one-sentence JSON."""
    app.add_exception_handler(FramerError, _framer_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_exception_handler(HTTPException, _http_error)
