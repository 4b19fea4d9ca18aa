"""Sending one email through the configured SMTP server; the engine retries a server that is
down or refuses for now."""

import asyncio
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import session_scope
from db.types import utcnow
from domain.outbox_contracts import OutboxRef
from services import mail

SMTP_TIMEOUT_SECONDS = 30
_PORTS = {"smtp": 25, "smtps": 465}


class MailActivities:
    def __init__(self, database_url: str, smtp_url: str, sender: str) -> None:
        self._url = database_url
        self._smtp = smtp_url
        self._sender = sender

    @activity.defn
    async def send_mail(self, job: OutboxRef) -> str:
        """`sent`, or `no_address` when the reader has no known address (in-app only)."""
        if not self._smtp:
            raise ApplicationError("no mail server configured", type="MailOff", non_retryable=True)
        key = activity.info().workflow_id or job.ref
        message = await asyncio.to_thread(self._compose, job.ref, key)
        if message is None:
            return "no_address"
        try:
            await send(self._smtp, message)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as refused:
            raise _refusal(refused) from None
        await asyncio.to_thread(self._mark_sent, job.ref)
        return "sent"

    def _compose(self, ref: str, key: str) -> EmailMessage | None:
        with session_scope(self._url, read_only=True) as session:
            return mail.compose(session, ref, self._sender, key)

    def _mark_sent(self, ref: str) -> None:
        with session_scope(self._url) as session:
            mail.mark_sent(session, ref, utcnow())


def _refusal(
    refused: aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPResponseException,
) -> ApplicationError:
    """A 5xx answer is final (no such mailbox, message refused): the email is undeliverable, not
    retried for days; a 4xx (try later) is retried. The text leaves the address out: it would
    stay in the workflow's history."""
    codes = (
        [r.code for r in refused.recipients]
        if isinstance(refused, aiosmtplib.SMTPRecipientsRefused)
        else [refused.code]
    )
    final = all(500 <= code < 600 for code in codes)
    return ApplicationError(
        f"the mail server refused the message ({', '.join(map(str, codes))})",
        type="MailRefused" if final else "MailDeferred",
        non_retryable=final,
    )


async def send(smtp_url: str, message: EmailMessage) -> None:
    """`smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or
    `smtps://…` (TLS from the first byte)."""
    url = urlsplit(smtp_url)
    if url.scheme not in _PORTS or not url.hostname:
        raise ApplicationError(
            "SMTP_URL must look like smtp://user:password@host:port", non_retryable=True
        )
    await aiosmtplib.send(
        message,
        hostname=url.hostname,
        port=url.port or _PORTS[url.scheme],
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=url.scheme == "smtps",
        timeout=SMTP_TIMEOUT_SECONDS,
    )
