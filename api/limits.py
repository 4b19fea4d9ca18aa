"""Requests refused at the door, before any route or store reads them: a body over
MAX_BODY_BYTES (413, counted as it streams in, never read whole) and a NUL character in the
path or query string (422; PostgreSQL text cannot hold one, so it would be a 500 further in)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import envelope
from config import Settings


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").lower()
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await envelope(
                422,
                "validation_error",
                "The URL may not contain NUL characters",
                [{"loc": ["path"], "msg": "NUL character"}],
            )(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen, started, refused = 0, False, False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # a chunked body that never said how long it is
                    # Answered here and now; to whatever reads on, the client has gone (an
                    # exception would reach FastAPI wrapped by middleware and become a 400).
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.limit} bytes"
        await envelope(413, "payload_too_large", message)(scope, receive, send)
