"""The `email` claim is remembered when it changes: a write per new address, not per request.

Each API process remembers what it wrote, for a minute: with several processes, a user who
switches addresses back and forth is stored with the latest one within that minute.
"""

import time
from collections import OrderedDict

from api.auth import Principal
from api.db import in_transaction
from db.types import utcnow
from services import user_emails

_SEEN_MAX = 50_000
FRESH_FOR_SECONDS = 60.0


class EmailBook:
    """The addresses this process wrote lately, so that a steady token costs no write."""

    def __init__(self, fresh_for: float = FRESH_FOR_SECONDS) -> None:
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._fresh_for = fresh_for

    async def note(self, url: str, me: Principal) -> None:
        if me.email is None:
            return
        user_id, address = me.user_id, me.email
        seen = self._seen.get(user_id)
        now = time.monotonic()
        if seen is not None and seen[0] == address and now - seen[1] < self._fresh_for:
            return
        await in_transaction(
            url, lambda session: user_emails.remember(session, user_id, address, utcnow())
        )
        self._seen[user_id] = (address, now)
        self._seen.move_to_end(user_id)
        if len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
