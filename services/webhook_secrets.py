"""Webhook signing secrets: made here, shown once, stored sealed.

The engine must sign with the secret, so a hash will not do; it is encrypted at rest instead,
with keys derived from the JWT secret (a database dump alone does not give the secrets away).
No AES is at hand without a new dependency, so the cipher is HMAC-SHA256 in counter mode (a PRF
keystream under a random nonce) with an encrypt-then-MAC tag: standard constructions on the
standard library. Changing the JWT secret makes the stored secrets unreadable: their deliveries
fail with that reason and the endpoints must be made again.
"""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
_VERSION = "s1."
_NONCE = 16
_TAG = 16


class SecretUnreadable(ValueError):
    """The sealed secret was not sealed with this key (the JWT secret changed?) or is damaged."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _key(master: str, purpose: bytes) -> bytes:
    return hmac.new(master.encode(), b"order-engine webhook secret " + purpose, "sha256").digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    stream = b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )
    return stream[:length]


def seal(secret: str, master: str) -> str:
    plain = secret.encode()
    nonce = secrets.token_bytes(_NONCE)
    cipher = bytes(
        a ^ b
        for a, b in zip(plain, _keystream(_key(master, b"enc"), nonce, len(plain)), strict=True)
    )
    tag = hmac.new(_key(master, b"mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    return _VERSION + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(sealed: str, master: str) -> str:
    if not sealed.startswith(_VERSION):
        raise SecretUnreadable("not a sealed webhook secret")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :].encode())
    except ValueError:
        raise SecretUnreadable("the sealed webhook secret is damaged") from None
    if len(raw) < _NONCE + _TAG:
        raise SecretUnreadable("the sealed webhook secret is damaged")
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    expected = hmac.new(_key(master, b"mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    if not hmac.compare_digest(expected, tag):
        raise SecretUnreadable(
            "the webhook secret was sealed with another key (was the JWT secret changed?)"
        )
    stream = _keystream(_key(master, b"enc"), nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()
