"""The custom search attributes ops use to find orders in the Temporal UI."""

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
ORDER_NUMBER = SearchAttributeKey.for_keyword("OrderNumber")
BUYER_ID = SearchAttributeKey.for_keyword("BuyerId")
SELLER_ID = SearchAttributeKey.for_keyword("SellerId")
# A Double because the UI filters on it; the money of record stays Decimal in the database.
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")

ALL = (ORDER_STATUS, ORDER_NUMBER, BUYER_ID, SELLER_ID, ORDER_TOTAL)


def cli_flags() -> list[str]:
    """`--search-attribute` flags for `temporal server start-dev`."""
    kinds = {ORDER_TOTAL.name: "Double"}
    return [f"--search-attribute={key.name}={kinds.get(key.name, 'Keyword')}" for key in ALL]
