"""Telling a connection that was refused (nothing sent) from one lost after sending."""

import socket

import stripe

# Raised by the HTTP libraries the stripe package may use when no connection was made.
_NOT_CONNECTED_NAMES = frozenset({"NewConnectionError", "ConnectTimeout", "ConnectError"})


def never_sent(error: stripe.APIConnectionError) -> bool:
    """True only when the chain of causes proves the connection was never made."""
    cause: BaseException | None = error
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, ConnectionRefusedError | socket.gaierror):
            return True
        if type(cause).__name__ in _NOT_CONNECTED_NAMES:
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False
