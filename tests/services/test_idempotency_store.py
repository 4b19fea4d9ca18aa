"""The Idempotency-Key store on SQLite and PostgreSQL."""

import uuid
from datetime import timedelta

from db.engine import session_scope
from db.types import utcnow
from services import idempotency
from services.idempotency import KEEP_FOR, LEASE, Claimed, StoredResponse


def claim(
    url: str, user: str, key: str, fingerprint: str, shift: timedelta = timedelta(0)
) -> idempotency.Claim:
    with session_scope(url) as session:
        return idempotency.claim(session, user, key, fingerprint, utcnow() + shift)


def claimed(outcome: idempotency.Claim) -> str:
    """The generation of a successful claim (fails the test on any other outcome)."""
    assert isinstance(outcome, Claimed), outcome
    assert outcome.generation
    return outcome.generation


def release(url: str, user: str, key: str, forget: bool) -> None:
    with session_scope(url) as session:
        idempotency.release(session, user, key, utcnow(), forget)


def test_claim_complete_replay_and_mismatch(database_url: str) -> None:
    user, key = f"u-{uuid.uuid4()}", "k1"
    claimed(claim(database_url, user, key, "a"))
    assert claim(database_url, user, key, "a") == "busy"
    assert claim(database_url, user, key, "b") == "mismatch"
    answer = StoredResponse(201, "application/json", b'{"id": 1}')
    with session_scope(database_url) as session:
        idempotency.complete(session, user, key, answer)
    assert claim(database_url, user, key, "a") == answer
    claimed(claim(database_url, f"other-{user}", key, "a"))


def test_a_forgotten_request_frees_the_key(database_url: str) -> None:
    """A 429 or a payment in progress made nothing: the key is free for any request."""
    user = f"u-{uuid.uuid4()}"
    first = claimed(claim(database_url, user, "k", "a"))
    release(database_url, user, "k", forget=True)
    assert claimed(claim(database_url, user, "k", "b")) != first


def test_a_failed_request_keeps_its_generation_for_its_retry(database_url: str) -> None:
    """A 5xx may have made something under the key's ids: the same request, retried, names the
    same objects; another request under the key is refused."""
    user = f"u-{uuid.uuid4()}"
    first = claimed(claim(database_url, user, "k", "a"))
    release(database_url, user, "k", forget=False)
    assert claim(database_url, user, "k", "b") == "mismatch"
    assert claimed(claim(database_url, user, "k", "a")) == first


def test_a_recorded_answer_survives_a_release(database_url: str) -> None:
    user = f"u-{uuid.uuid4()}"
    claimed(claim(database_url, user, "k", "a"))
    with session_scope(database_url) as session:
        idempotency.complete(session, user, "k", StoredResponse(200, None, b"ok"))
    release(database_url, user, "k", forget=True)
    assert claim(database_url, user, "k", "a") == StoredResponse(200, None, b"ok")


def test_an_abandoned_claim_is_taken_over_and_keys_expire(database_url: str) -> None:
    user = f"u-{uuid.uuid4()}"
    first = claimed(claim(database_url, user, "k", "a"))
    # A process that died mid-request: its claim is taken over, under the same generation.
    assert claimed(claim(database_url, user, "k", "a", LEASE + timedelta(seconds=1))) == first
    with session_scope(database_url) as session:
        idempotency.complete(session, user, "k", StoredResponse(201, None, b"first"))
    later = KEEP_FOR + timedelta(minutes=1)
    # After its 24 h the key starts a new generation: new objects, never the old ones.
    assert claimed(claim(database_url, user, "k", "other body", later)) != first
