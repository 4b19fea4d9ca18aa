"""The custom search attributes ops use to find orders in the Temporal UI."""

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
ORDER_NUMBER = SearchAttributeKey.for_keyword("OrderNumber")
BUYER_ID = SearchAttributeKey.for_keyword("BuyerId")
SELLER_ID = SearchAttributeKey.for_keyword("SellerId")
# A Double because the UI filters on it; the money of record stays Decimal in the database.
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
# Beyond API.md's five: where the order's payment stands, so a charge stuck in `processing` or
# `unknown` (its answer lost) can be found in the UI.
PAYMENT_STATUS = SearchAttributeKey.for_keyword("PaymentStatus")

ALL = (ORDER_STATUS, ORDER_NUMBER, BUYER_ID, SELLER_ID, ORDER_TOTAL, PAYMENT_STATUS)


def cli_flags() -> list[str]:
    """`--search-attribute` flags for `temporal server start-dev`."""
    kinds = {ORDER_TOTAL.name: "Double"}
    return [f"--search-attribute={key.name}={kinds.get(key.name, 'Keyword')}" for key in ALL]
