"""Workflow ids are business ids (DESIGN.md, rule 6): one place names them."""


def order_workflow_id(order_id: str) -> str:
    return f"order-{order_id}"
