"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, for the mail tests."""

import asyncio
import email
import socket
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(
        self, predicate: Any, within: float = 60, at_least: int = 1
    ) -> list[EmailMessage]:
        """The messages that satisfy `predicate`, once there are `at_least` of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = [m for m in self.messages if predicate(m)]
            if len(found) >= at_least:
                return found
            assert loop.time() < deadline, [m["Subject"] for m in self.messages]
            await asyncio.sleep(0.1)


def smtp_server(port: int) -> tuple[Controller, Mailbox]:
    """Started; `controller.stop()` ends it."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, box


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename() or "", part.get_content())
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
