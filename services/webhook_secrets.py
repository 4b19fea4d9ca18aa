"""Webhook signing secrets: made here, shown once, stored sealed.

The engine must sign with the secret, so a hash will not do; it is encrypted at rest instead
(Fernet: AES-128-CBC with an HMAC-SHA256 tag, from `cryptography`), under a key derived from the
JWT secret, so that a database dump alone does not give the secrets away. Changing the JWT secret
makes the stored secrets unreadable: their deliveries fail with that reason and the endpoints must
be made again. The same sealing keeps the create answer's copy in the idempotency store.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "whsec_"


class SecretUnreadable(ValueError):
    """The sealed secret was not sealed with this key (the JWT secret changed?) or is damaged."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _fernet(master: str) -> Fernet:
    key = hmac.new(master.encode(), b"order-engine webhook secrets", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_bytes(plain: bytes, master: str) -> bytes:
    return _fernet(master).encrypt(plain)


def unseal_bytes(sealed: bytes, master: str) -> bytes:
    try:
        return _fernet(master).decrypt(sealed)
    except InvalidToken:
        raise SecretUnreadable(
            "the webhook secret was sealed with another key (was the JWT secret changed?) "
            "or is damaged"
        ) from None


def seal(secret: str, master: str) -> str:
    return seal_bytes(secret.encode(), master).decode()


def unseal(sealed: str, master: str) -> str:
    return unseal_bytes(sealed.encode(), master).decode()
