"""Steps of a purchase over HTTP, shared by the end-to-end tests."""

import uuid
from typing import Any

import httpx

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def users() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return f"seller-{suffix}", f"buyer-{suffix}"


async def list_item(
    seller: httpx.AsyncClient, quantity: int = 1, price: str = "1499.00", fee: str = "25.00"
) -> dict[str, Any]:
    response = await seller.post(
        "/api/listings/",
        json={
            "listing_type": "car",
            "title": "1998 Mazda MX-5",
            "description": "Red, 120k km",
            "unit_price": price,
            "shipping_fee": fee,
            "quantity_available": quantity,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def place_order(buyer: httpx.AsyncClient, listing_id: str, **extra: Any) -> dict[str, Any]:
    response = await buyer.post(
        "/api/orders/", json={"listing_id": listing_id, "shipping_address": ADDRESS, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def pay(buyer: httpx.AsyncClient, order_id: str, token: str = "tok_visa") -> dict[str, Any]:
    response = await buyer.post(
        "/api/payments/",
        json={"order_id": order_id, "payment_method": "credit_card", "card_token": token},
    )
    assert response.status_code == 201, response.text
    return response.json()
