"""A webhook receiver on 127.0.0.1 for the tests: a bare asyncio HTTP/1.1 server that records
each request (headers, raw body) and answers as the test says: a status, a redirect, or never.
Every request it records is checked with services.webhook_signatures.verify, as a real
receiver would, when it is given the endpoint's secret."""

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from services.webhook_signatures import HEADER, SignatureVerificationError, verify

HANG = -1  # an answer that is never sent (the connection stays open, silent)
ENDLESS = -2  # a 500 whose body never ends (chunks until the caller hangs up)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None  # None: the signature did not verify
    error: str | None


@dataclass
class Receiver:
    # The status of the n-th request (0-based): 200 unless the test says otherwise.
    answer: Callable[[int], int] = lambda _n: 200
    secret: str | None = None
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _hanging: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.event is not None]

    async def wait_for(self, check: Callable[["Receiver"], bool], within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while not check(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver did not get what was awaited: {self.received}")
            await asyncio.sleep(0.1)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        _method, path, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        event, error = None, None
        if self.secret is not None:
            try:
                event = verify(body, headers.get(HEADER.lower()), self.secret)
            except SignatureVerificationError as refused:
                error = str(refused)
        status = self.answer(len(self.received))
        self.received.append(Received(path, headers, body, event, error))
        if status == HANG:
            self._hanging.append(writer)
            return
        if status == ENDLESS:
            await self._endless(writer)
            return
        extra = "Location: http://127.0.0.1:1/elsewhere\r\n" if 300 <= status < 400 else ""
        reply = f"HTTP/1.1 {status} X\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nok"
        writer.write(reply.encode())
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def _endless(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 1024
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def receiving(
    answer: Callable[[int], int] = lambda _n: 200,
    secret: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[Receiver]:
    receiver = Receiver(answer=answer, secret=secret)
    server = await asyncio.start_server(receiver._serve, "127.0.0.1", 0, ssl=tls)
    receiver._server = server
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        for writer in receiver._hanging:
            writer.close()
        server.close()
        await server.wait_closed()
