"""Signing a delivery and verifying it as a receiver does."""

import hashlib
import hmac
import json

import pytest

from services.webhook_secrets import SecretUnreadable, new_secret, seal, unseal
from services.webhook_signatures import SignatureVerificationError, sign, verify

SECRET = "whsec_test"
BODY = json.dumps({"id": "evt_1", "type": "order.created", "created_at": "x", "data": {}}).encode()
NOW = 1_800_000_000


def test_the_header_is_t_and_the_hmac_of_t_dot_body() -> None:
    header = sign(SECRET, BODY, NOW)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_a_right_signature_gives_the_event() -> None:
    event = verify(BODY, sign(SECRET, BODY, NOW), SECRET, now=NOW + 10)
    assert event["type"] == "order.created"


def test_a_tampered_body_is_refused() -> None:
    header = sign(SECRET, BODY, NOW)
    with pytest.raises(SignatureVerificationError, match="no signature matches"):
        verify(BODY.replace(b"created", b"shipped"), header, SECRET, now=NOW)


def test_another_secret_is_refused() -> None:
    with pytest.raises(SignatureVerificationError, match="no signature matches"):
        verify(BODY, sign("whsec_other", BODY, NOW), SECRET, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_a_timestamp_outside_the_tolerance_is_refused(offset: int) -> None:
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify(BODY, sign(SECRET, BODY, NOW), SECRET, now=NOW + offset)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    signature = sign(SECRET, BODY, NOW).split(",")[1]
    with pytest.raises(SignatureVerificationError, match="no signature matches"):
        verify(BODY, f"t={NOW + 5},{signature}", SECRET, now=NOW)


def test_any_of_several_signatures_may_match() -> None:
    good = sign(SECRET, BODY, NOW).split(",")[1]
    assert verify(BODY, f"t={NOW},v1={'0' * 64},{good}", SECRET, now=NOW)["id"] == "evt_1"


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", f"t={NOW}", "v1=abc", "t=soon,v1=abc", f"t={NOW},v1=é"],
)
def test_missing_or_garbled_headers_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureVerificationError):
        verify(BODY, header, SECRET, now=NOW)


def test_a_sealed_secret_opens_with_its_key_only() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    sealed = seal(secret, "jwt-secret-a")
    assert secret not in sealed
    assert seal(secret, "jwt-secret-a") != sealed  # a fresh nonce each time
    assert unseal(sealed, "jwt-secret-a") == secret
    with pytest.raises(SecretUnreadable, match="another key"):
        unseal(sealed, "jwt-secret-b")
    with pytest.raises(SecretUnreadable):
        unseal(sealed[:-4] + "AAAA", "jwt-secret-a")
    with pytest.raises(SecretUnreadable):
        unseal("plain", "jwt-secret-a")
