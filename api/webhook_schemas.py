"""Request and response bodies of API.md's Outbound webhooks section."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import Request
from domain.webhooks import EVENT_TYPES, normalized_events

EventType = Annotated[str, Field(max_length=32, examples=list(EVENT_TYPES))]


class WebhookEndpointCreate(Request):
    # https:// (http:// to loopback only with WEBHOOK_ALLOW_LOOPBACK); checked again, resolved,
    # at every delivery.
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    events: Annotated[
        list[EventType],
        Field(min_length=1, max_length=len(EVENT_TYPES) + 1),
        AfterValidator(normalized_events),
    ]


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: datetime


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    """The one answer that shows the signing secret: store it now, it is never shown again."""

    secret: str


class WebhookDeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    # pending | succeeded | failed
    status: str
    attempts: int
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
