"""The Idempotency-Key store on SQLite and PostgreSQL."""

import uuid
from datetime import timedelta

from db.engine import session_scope
from db.types import utcnow
from services import idempotency
from services.idempotency import KEEP_FOR, LEASE, StoredResponse


def claim(
    url: str, user: str, key: str, fingerprint: str, shift: timedelta = timedelta(0)
) -> idempotency.Claim:
    with session_scope(url) as session:
        return idempotency.claim(session, user, key, fingerprint, utcnow() + shift)


def test_claim_complete_replay_and_mismatch(database_url: str) -> None:
    user, key = f"u-{uuid.uuid4()}", "k1"
    assert claim(database_url, user, key, "a") == "claimed"
    assert claim(database_url, user, key, "a") == "busy"
    assert claim(database_url, user, key, "b") == "mismatch"
    answer = StoredResponse(201, "application/json", b'{"id": 1}')
    with session_scope(database_url) as session:
        idempotency.complete(session, user, key, answer)
    assert claim(database_url, user, key, "a") == answer
    assert claim(database_url, f"other-{user}", key, "a") == "claimed"


def test_release_frees_the_key_but_not_a_recorded_answer(database_url: str) -> None:
    user = f"u-{uuid.uuid4()}"
    assert claim(database_url, user, "k", "a") == "claimed"
    with session_scope(database_url) as session:
        idempotency.release(session, user, "k")
    assert claim(database_url, user, "k", "b") == "claimed"
    with session_scope(database_url) as session:
        idempotency.complete(session, user, "k", StoredResponse(200, None, b"ok"))
        idempotency.release(session, user, "k")
    assert claim(database_url, user, "k", "b") == StoredResponse(200, None, b"ok")


def test_an_abandoned_claim_is_taken_over_and_keys_expire(database_url: str) -> None:
    user = f"u-{uuid.uuid4()}"
    assert claim(database_url, user, "k", "a") == "claimed"
    assert claim(database_url, user, "k", "a", LEASE + timedelta(seconds=1)) == "claimed"
    with session_scope(database_url) as session:
        idempotency.complete(session, user, "k", StoredResponse(201, None, b"first"))
    later = KEEP_FOR + timedelta(minutes=1)
    assert claim(database_url, user, "k", "other body", later) == "claimed"
