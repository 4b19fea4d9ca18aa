"""Payment attempts are limited per user: the next one gets 429 with Retry-After."""

import uuid

from tests.e2e.conftest import Stack


async def test_too_many_payment_attempts_get_429(stack: Stack) -> None:
    limit = stack.settings.payment_rate_limit
    body = {
        "order_id": str(uuid.uuid4()),
        "payment_method": "credit_card",
        "card_token": "tok_visa",
    }
    async with stack.client(f"hasty-{uuid.uuid4().hex[:8]}", "buyer") as buyer:
        answers = [
            (await buyer.post("/api/payments/", json=body)).status_code for _ in range(limit)
        ]
        assert answers == [404] * limit  # counted, though there was nothing to pay
        limited = await buyer.post("/api/payments/", json=body)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= stack.settings.payment_rate_window.total_seconds()
        retry = await buyer.post(f"/api/payments/{uuid.uuid4()}/retry/", json={})
        assert retry.status_code == 429
    async with stack.client(f"calm-{uuid.uuid4().hex[:8]}", "buyer") as other:
        assert (await other.post("/api/payments/", json=body)).status_code == 404
