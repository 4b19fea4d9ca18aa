"""A declined card is a business outcome: the worker logs one line for it, never a traceback."""

import logging

import pytest

from tests.support import make_listing
from tests.workflows.shop import Shop


async def test_a_decline_is_one_log_line_without_a_traceback(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    caplog.set_level(logging.INFO)

    declined = await purchase.pay("tok_chargeDeclined")

    assert (declined.status, declined.error_code) == ("failed", "card_declined")
    lines = [record for record in caplog.records if "declined" in record.getMessage()]
    assert [(record.levelno, record.exc_info) for record in lines] == [(logging.INFO, None)]
    assert "card_declined" in lines[0].getMessage()
    loud = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in loud] == []
    assert [record for record in caplog.records if record.exc_info] == []
