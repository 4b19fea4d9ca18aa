"""Shared builders for tests: binaries of the Temporal servers, settings, listings, orders."""

import hashlib
import shutil
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from temporalio.client import Client

from config import Settings
from db.engine import session_scope
from db.tables import IdempotencyRecord, Listing
from db.types import utcnow
from domain.contracts import Address, NewOrder, OrderInput
from workflows import inputs

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: run `make install`")
    return path


ADDRESS = Address(
    name="Ada Buyer", line1="1 Main St", city="Springfield", postal_code="12345", country="US"
)


def make_listing(
    url: str,
    seller_id: str = "seller-1",
    quantity: int = 1,
    price: str = "1499.00",
    fee: str = "25.00",
    kind: str = "car",
) -> str:
    listing_id = str(uuid.uuid4())
    with session_scope(url) as session:
        session.add(
            Listing(
                id=listing_id,
                seller_id=seller_id,
                listing_type=kind,
                title="1998 Mazda MX-5",
                description="Red, 120k km",
                unit_price=Decimal(price),
                currency="USD",
                shipping_fee=Decimal(fee),
                quantity_available=quantity,
                status="active",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return listing_id


def order_input(
    listing_id: str, buyer_id: str = "buyer-1", quantity: int = 1, settings: Settings | None = None
) -> OrderInput:
    settings = settings or Settings()
    new = NewOrder(
        order_id=str(uuid.uuid4()),
        buyer_id=buyer_id,
        listing_id=listing_id,
        quantity=quantity,
        shipping_address=ADDRESS,
        tax_rate=settings.tax_rate,
    )
    return inputs.order_input(new, settings)


SHORT = timedelta(seconds=1)


async def register_search_attributes(client: Client) -> None:
    """The time-skipping server knows no custom attributes until told, like a fresh cluster."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from workflows.search_attributes import ALL, ORDER_TOTAL

    kinds = {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE
        if key is ORDER_TOTAL
        else IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        for key in ALL
    }
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=client.namespace, search_attributes=kinds)
    )


def died_mid_request(
    url: str, user_id: str, key: str, path: str, body: bytes, generation: str
) -> None:
    """The claim a request leaves when its process dies before recording the answer."""
    fingerprint = hashlib.sha256(b"\0".join([b"POST", path.encode(), body])).hexdigest()
    now = utcnow()
    with session_scope(url) as session:
        session.add(
            IdempotencyRecord(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                locked_until=now - timedelta(minutes=5),
                created_at=now - timedelta(minutes=5),
                expires_at=now + timedelta(hours=23),
                generation=generation,
            )
        )
