"""Workflow ids are business ids (DESIGN.md, rule 6): one place names them."""


def order_workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


def topup_workflow_id(topup_id: str) -> str:
    return f"topup-{topup_id}"


def payout_workflow_id(payout_id: str) -> str:
    return f"payout-{payout_id}"
