"""Webhook endpoints the end-to-end tests need on stacks without WEBHOOK_ALLOW_LOOPBACK."""

import uuid

from db.engine import session_scope
from db.types import utcnow
from services import webhook_endpoints


def silent_endpoint(database_url: str, seller_id: str) -> str:
    """An endpoint of `seller_id`, written straight to the database (the API would refuse its
    URL): loopback, which the stack does not allow, so any delivery to it is refused at its
    first attempt without a connection."""
    with session_scope(database_url) as session:
        endpoint, _secret = webhook_endpoints.create(
            session,
            str(uuid.uuid4()),
            seller_id,
            "seller",
            "http://127.0.0.1:9/never-called",
            ["payout.completed"],
            "unused-key",
            utcnow(),
        )
        return endpoint.id
