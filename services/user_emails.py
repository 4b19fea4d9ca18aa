"""Where a user's mail goes: the `email` claim last seen in their token."""

import re
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.tables import UserEmail

# One mailbox, no display name, no line breaks (a header never takes a second line from a token).
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
MAX_LENGTH = 320


def usable(address: object) -> str | None:
    """The claim when it is one plain mailbox (fullmatch: `$` would let a final newline through
    into a header); None otherwise."""
    if (
        isinstance(address, str)
        and len(address) <= MAX_LENGTH
        and address.isprintable()
        and _ADDRESS.fullmatch(address)
    ):
        return address
    return None


def remember(session: Session, user_id: str, address: str, at: datetime) -> None:
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = insert(UserEmail).values(user_id=user_id, email=address, seen_at=at)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"email": address, "seen_at": at}
        )
    )
