"""Payment attempts are limited per user: the next one gets 429 with Retry-After."""

import uuid

from tests.e2e.conftest import RateClock, Stack


async def test_too_many_payment_attempts_get_429(stack: Stack, rate_clock: RateClock) -> None:
    limit = stack.settings.payment_rate_limit
    window = stack.settings.payment_rate_window
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
        # The clock stands 30 s into a one-minute window: exactly 30 s are left.
        assert window.total_seconds() == 60
        assert limited.headers["Retry-After"] == "30"
        retry = await buyer.post(f"/api/payments/{uuid.uuid4()}/retry/", json={})
        assert retry.status_code == 429
        async with stack.client(f"calm-{uuid.uuid4().hex[:8]}", "buyer") as other:
            assert (await other.post("/api/payments/", json=body)).status_code == 404

        rate_clock.now += window  # the next window: the count starts again
        assert (await buyer.post("/api/payments/", json=body)).status_code == 404
