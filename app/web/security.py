"""Security headers, relative redirects, and a request-body size and time limit, as plain ASGI middleware."""

import asyncio
import json
import time
from urllib.parse import urlsplit

from app.web.format import grouped
from app.web.i18n import pick_language, translate

# Only the app's own origin: no inline scripts at all (so no nonce is needed), no outside hosts.
# Inline styles are allowed because plotly.js sets element styles and injects its own <style>.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


def relative_location(location: bytes) -> bytes:
    """An absolute redirect target made relative (path, query, fragment), so no Host header picks the host."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    relative = (parts.path or "/") + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")
    if relative.startswith("//"):  # would read as another host
        relative = "/" + relative.lstrip("/")
    return relative.encode("latin-1")


class SecurityHeaders:
    """Adds HEADERS to every response, and turns the app's absolute redirects (Starlette builds them from the
    request's Host header, e.g. /en -> http://<Host>/en/) into relative ones."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, relative_location(v) if k.lower() == b"location" else v)
                           for k, v in message.get("headers", [])]
                message["headers"] = headers + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _language(scope) -> str:
    first = scope.get("path", "").split("/")[1:2]
    if first and first[0] in ("en", "ru"):
        return first[0]
    headers = dict(scope["headers"])
    return pick_language(headers.get(b"accept-language", b"").decode("latin-1"))


MESSAGES = {413: "body_too_large", 408: "body_too_slow"}  # string keys in ui.yaml


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent, and bodies that
    take longer than `read_timeout` seconds in all (or `idle_timeout` between two chunks) with 408.

    The body is read before the app runs (at most `max_bytes` of it), so a refused upload never reaches a route
    half-read and a body parser can't turn the refusal into a 400. A refused body is read on and thrown away,
    up to `drain_bytes` and `drain_seconds` (as nginx's lingering close does), before the 413 goes out: a client
    that sends its whole body before reading the answer (urllib, browsers' fetch) then reads the 413 instead of
    a reset connection. The refusal closes the connection.
    """

    def __init__(self, app, max_bytes: int, read_timeout: float = 60.0, idle_timeout: float = 15.0,
                 drain_bytes: int = 64 * 2**20, drain_seconds: float = 20.0):
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.drain_bytes = drain_bytes
        self.drain_seconds = drain_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if length is not None and (declared is None or declared > self.max_bytes):
            if declared is not None and declared <= self.drain_bytes:
                await self._drain(receive, 0)
            return await self._refuse(scope, send, 413)
        chunks, received = [], 0
        deadline = time.monotonic() + self.read_timeout
        while True:
            try:
                message = await self._next(receive, deadline)
            except TimeoutError:
                return await self._refuse(scope, send, 408)
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            more = message.get("more_body", False)
            if received > self.max_bytes:
                if more:
                    await self._drain(receive, received)
                return await self._refuse(scope, send, 413)
            chunks.append(chunk)
            if not more:
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _next(self, receive, deadline: float) -> dict:
        left = min(self.idle_timeout, deadline - time.monotonic())
        if left <= 0:
            raise TimeoutError
        return await asyncio.wait_for(receive(), left)

    async def _drain(self, receive, received: int) -> None:
        """Read and drop the rest of a refused body, within the drain limits."""
        deadline = time.monotonic() + self.drain_seconds
        while received <= self.drain_bytes:
            try:
                message = await self._next(receive, deadline)
            except TimeoutError:
                return
            if message["type"] == "http.disconnect":
                return
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, scope, send, status: int):
        lang = _language(scope)
        detail = translate(lang, MESSAGES[status], mb=self.max_bytes / 2**20, limit=grouped(self.max_bytes, lang),
                           seconds=self.read_timeout)
        body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
