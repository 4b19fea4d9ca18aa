"""The store behind Idempotency-Key: one row per caller and key, claimed before the request runs
and filled with its answer after, so a repeat is answered from here and never runs twice."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.tables import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
# A claim not completed within this is taken to be from a process that died mid-request.
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Claimed:
    """The request may run; `generation` names what it creates (None for rows from before)."""

    generation: str | None


Claim = Literal["mismatch", "busy"] | Claimed | StoredResponse


def claim(session: Session, user_id: str, key: str, fingerprint: str, now: datetime) -> Claim:
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
    )
    created = session.execute(
        insert(IdempotencyRecord)
        .values(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            locked_until=now + LEASE,
            created_at=now,
            expires_at=now + KEEP_FOR,
            generation=str(uuid.uuid4()),
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.generation)
    ).first()
    if created is not None:
        return Claimed(created[0])
    record = session.get(IdempotencyRecord, (user_id, key), with_for_update=True)
    if record is None:  # expired and deleted by a concurrent claim: the caller tries again
        return "busy"
    if record.fingerprint != fingerprint:
        return "mismatch"
    if record.status_code is not None:
        return StoredResponse(record.status_code, record.content_type, record.body or b"")
    if record.locked_until > now:
        return "busy"
    record.locked_until = now + LEASE
    return Claimed(record.generation)


def complete(session: Session, user_id: str, key: str, response: StoredResponse) -> None:
    record = session.get(IdempotencyRecord, (user_id, key), with_for_update=True)
    if record is not None:
        record.status_code = response.status_code
        record.content_type = response.content_type
        record.body = response.body


def release(session: Session, user_id: str, key: str, now: datetime, forget: bool) -> None:
    """The request ended without an answer to remember. `forget`: nothing was made (a rate
    limit, a payment in progress), so the key is free for any request. Otherwise (our failure,
    the engine late) something may exist under the key's ids: the claim is only unlocked, so a
    retry of the same request names the same objects."""
    unanswered = (
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.key == key,
        IdempotencyRecord.status_code.is_(None),
    )
    if forget:
        session.execute(delete(IdempotencyRecord).where(*unanswered))
    else:
        session.execute(update(IdempotencyRecord).where(*unanswered).values(locked_until=now))
