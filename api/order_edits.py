"""PATCH|PUT /api/orders/{id}/: the parties' own addresses and notes, no workflow step needed."""

from api.access import allow, parts_of
from api.auth import Principal
from api.db import in_transaction
from api.deps import viewer_of
from api.errors import ApiError
from api.order_reads import load_detail
from api.schemas import OrderDetail, OrderPatch
from config import Settings
from domain.contracts import INVALID_TRANSITION
from domain.order_rules import edit_refusal
from services import order_queries
from services.order_queries import NotEditable


async def edit(order_id: str, body: OrderPatch, me: Principal, settings: Settings) -> OrderDetail:
    viewer = viewer_of(me)
    order = await load_detail(settings, viewer, order_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    allow(edit_refusal(changes, parts_of(me, order), order.status))
    if changes:
        try:
            await in_transaction(
                settings.database_url,
                lambda s: order_queries.edit_details(s, order_id, changes, me.user_id),
            )
        except NotEditable as refused:
            # A ship that landed after the read above: the rule asked again under the row's lock.
            raise ApiError(409, INVALID_TRANSITION, str(refused)) from None
    return await load_detail(settings, viewer, order_id)
