"""A token is verified once and then served from memory until it expires: past its `exp` it is
verified again (and so refused as expired), and a token is never served for another secret."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from api import auth
from api.auth import InvalidToken, decode_token, issue_token

SECRET = "unit-secret-0123456789abcdef0123456789"


class Counted:
    def __init__(self) -> None:
        self.calls = 0
        self._verify = auth._verify

    def __call__(self, token: str, secret: str) -> Any:
        self.calls += 1
        return self._verify(token, secret)


@pytest.fixture
def verify(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted()
    monkeypatch.setattr(auth, "_verify", counted)
    monkeypatch.setattr(auth, "_VERIFIED", {})
    return counted


def test_a_token_is_verified_once_while_it_is_valid(verify: Counted) -> None:
    token = issue_token(SECRET, "ada", ["buyer"], email="ada@example.test")
    first, again = decode_token(token, SECRET), decode_token(token, SECRET)
    assert first == again == auth.Principal("ada", frozenset({"buyer"}), "ada@example.test")
    assert verify.calls == 1


def test_past_its_expiry_a_token_is_verified_again(
    verify: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issue_token(SECRET, "ada", ["buyer"], ttl=timedelta(minutes=5))
    decode_token(token, SECRET)

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> "Later":
            moment = datetime.now(UTC) + timedelta(minutes=6)
            return cls.fromtimestamp(moment.timestamp(), tz)

    monkeypatch.setattr(auth, "datetime", Later)
    decode_token(token, SECRET)
    assert verify.calls == 2


def test_a_fractional_exp_ends_where_pyjwt_ends_it(
    verify: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyJWT reads `exp` in whole seconds: a token of exp = T + 0.9 is expired from T on."""
    exp = int(datetime.now(UTC).timestamp()) + 600
    claims = {"sub": "ada", "roles": ["buyer"], "aud": auth.AUDIENCE, "exp": exp + 0.9}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    decode_token(token, SECRET)

    class AtExp(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> "AtExp":
            return cls.fromtimestamp(exp + 0.5, tz)

    monkeypatch.setattr(auth, "datetime", AtExp)
    decode_token(token, SECRET)
    assert verify.calls == 2


def test_a_huge_exp_is_a_principal_not_an_error(verify: Counted) -> None:
    claims = {"sub": "ada", "roles": ["buyer"], "aud": auth.AUDIENCE, "exp": 10**400}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert decode_token(token, SECRET).user_id == "ada"
    assert decode_token(token, SECRET).user_id == "ada"
    assert verify.calls == 1


def test_a_cached_token_is_not_taken_under_another_secret(verify: Counted) -> None:
    token = issue_token(SECRET, "ada", ["buyer"])
    decode_token(token, SECRET)
    with pytest.raises(InvalidToken) as refused:
        decode_token(token, "another-secret-0123456789abcdef0123")
    assert refused.value.reason == "bad_signature"


def test_refused_tokens_are_not_kept(verify: Counted) -> None:
    expired = issue_token(SECRET, "ada", ["buyer"], ttl=timedelta(seconds=-5))
    for _ in range(2):
        with pytest.raises(InvalidToken):
            decode_token(expired, SECRET)
    assert verify.calls == 2 and auth._VERIFIED == {}


def test_the_memory_is_bounded(verify: Counted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 3)
    tokens = [issue_token(SECRET, f"user-{n}", ["buyer"]) for n in range(5)]
    for token in tokens:
        decode_token(token, SECRET)
    assert [key[0] for key in auth._VERIFIED] == tokens[2:]
