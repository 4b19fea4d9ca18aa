"""The one input of a workflow started from the outbox (an email, a webhook delivery)."""

from datetime import timedelta

from pydantic import BaseModel


class OutboxRef(BaseModel):
    # What to send, e.g. `notification:<id>`, `invoice:<id>`, or a webhook delivery's id.
    ref: str
    # The longest wait between two tries of the send (None: the workflow's own default).
    retry_max_interval: timedelta | None = None
