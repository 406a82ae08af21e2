"""Malformed requests: a clear 4xx that always reaches the client, never a 500.

FastAPI answers a body that fails validation with 422 and each error's location, echoing
the offending input. JSON cannot always carry that echo: ``1e400``, ``NaN`` and
``Infinity`` parse to floats JSON has no spelling for, and a lone surrogate (``"\\ud800"``)
has no UTF-8 encoding, so the 422 itself failed and the client got a bare 500. Here the echo
is made safe (:func:`json_safe`), a body that is not JSON is refused with 415
(:func:`require_json`), and a body over :data:`MAX_BODY_BYTES` with 413
(:class:`BodySizeLimit`).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (413 above). Every valid request fits: the largest order
(100 lines, every text at its 200-character limit, written as ``\\u`` escapes) is ~260 KiB."""
MAX_ECHO = 100
"""Longest text, and most list entries, a 422 echoes back of the input it refused."""


class UnsupportedMediaTypeError(ValueError):
    """A request body sent as something other than JSON (415).

    Attributes: content_type, as sent (None if the request named none).
    """

    def __init__(self, content_type: str | None) -> None:
        self.content_type = content_type
        sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        super().__init__(
            f"the request body must be JSON (Content-Type: application/json); got {sent}"
        )


class BodySizeLimit:
    """ASGI middleware: stop reading a request body past ``max_bytes`` (413).

    A body that declares a larger ``Content-Length`` is refused at its first read; one
    sent in chunks, as soon as the bytes read pass the limit. A route that reads no body
    is unaffected. The 413 is an ``HTTPException``, so it gets the API's JSON error shape.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "0")
        too_large = HTTPException(413, f"the request body is larger than {self.max_bytes} bytes")
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise too_large
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise too_large
            return message

        await self.app(scope, receive_within_limit, send)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def require_json(request: Request) -> None:
    """Dependency of routes with a body: refuse a non-empty body that is not JSON.

    FastAPI reads such a body as bytes and answers 422 "Input should be a valid
    dictionary"; the honest answer is 415, naming the content type that was sent.

    Raises:
        UnsupportedMediaTypeError: the body is not declared ``application/json``.
    """
    content_type = request.headers.get("content-type")
    if await request.body() and (content_type is None or not _is_json(content_type)):
        raise UnsupportedMediaTypeError(content_type)


def encodable(text: str) -> str:
    """``text`` with every character UTF-8 cannot encode (lone surrogates) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_safe(value: Any) -> Any:
    """``value`` made fit for a JSON response: what JSON cannot spell becomes a string.

    Non-finite floats become ``"inf"``, ``"-inf"``, ``"nan"``; text is escaped
    (:func:`encodable`) and cut after :data:`MAX_ECHO` characters; lists after
    :data:`MAX_ECHO` entries; anything else becomes its ``str``.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        if len(value) > MAX_ECHO:
            value = f"{value[:MAX_ECHO]}... ({len(value)} characters)"
        return encodable(value)
    if isinstance(value, dict):
        return {encodable(str(key)): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        echoed = [json_safe(item) for item in value[:MAX_ECHO]]
        if len(value) > MAX_ECHO:
            echoed.append(f"... ({len(value)} entries)")
        return echoed
    return json_safe(str(value))


async def answer_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 (``{"detail": [{"loc", "msg", "type", "input", ...}]}``), always
    serialisable: the location and message untouched, the echoed input made safe."""
    return JSONResponse({"detail": json_safe(list(error.errors()))}, status_code=422)
