"""The one line that names an order in the Temporal UI (its workflow's summary and details)."""

from decimal import Decimal

from domain.money import quantize

# The UI takes a summary of at most 200 bytes; a listing's title may have 200 characters.
ITEM_CHARS = 80


def order_summary(order_number: str | None, total: Decimal, currency: str, item: str) -> str:
    """`ORD-2026-000123 · 1524.00 USD · 1998 Mazda MX-5`; before admission has numbered the
    order, the same line without its number."""
    if len(item) > ITEM_CHARS:
        item = item[: ITEM_CHARS - 1] + "…"
    parts = (order_number, f"{quantize(total)} {currency}", item)
    return " · ".join(part for part in parts if part)


def money_summary(what: str, amount: Decimal, currency: str) -> str:
    """`Top-up · 100.00 USD`: a wallet movement's line in the Temporal UI, with no one's name."""
    return f"{what} · {quantize(amount)} {currency}"
