"""The `email` claim is remembered when it changes: a write per new address, not per request."""

from collections import OrderedDict

from api.auth import Principal
from api.db import in_transaction
from db.types import utcnow
from services import user_emails

_SEEN_MAX = 50_000


class EmailBook:
    """The addresses this process has already written, so that a steady token costs no write."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, str] = OrderedDict()

    async def note(self, url: str, me: Principal) -> None:
        if me.email is None or self._seen.get(me.user_id) == me.email:
            return
        user_id, address = me.user_id, me.email
        await in_transaction(
            url, lambda session: user_emails.remember(session, user_id, address, utcnow())
        )
        self._seen[user_id] = address
        self._seen.move_to_end(user_id)
        if len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
