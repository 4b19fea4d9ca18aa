"""The caller's own notifications."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import in_transaction, reading
from api.deps import PrincipalDep, SettingsDep
from api.errors import not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import NotificationOut, Page
from db.tables import Notification
from db.types import utcnow
from services.notifications import ADMINS
from services.pagination import page

router = SlashRouter(tags=["notifications"])


@router.get("/api/notifications/", response_model=Page[NotificationOut])
async def list_notifications(
    me: PrincipalDep, settings: SettingsDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        # Admins also read the admins' inbox (ops alerts: unknown charges, refused refunds).
        inboxes = [me.user_id, ADMINS] if me.is_admin else [me.user_id]
        query = select(Notification).where(Notification.user_id.in_(inboxes))
        rows, next_cursor = page(
            session, query, Notification.created_at, Notification.id, limit, cursor
        )
        return {
            "items": [NotificationOut.model_validate(n, from_attributes=True) for n in rows],
            "next_cursor": next_cursor,
        }

    return await reading(settings.database_url, read)


@router.post("/api/notifications/{notification_id}/read/", response_model=NotificationOut)
async def mark_read(
    notification_id: str, me: PrincipalDep, settings: SettingsDep
) -> NotificationOut:
    def write(session: Session) -> NotificationOut | None:
        note = session.get(Notification, notification_id)
        mine = note is not None and (
            note.user_id == me.user_id or (me.is_admin and note.user_id == ADMINS)
        )
        if note is None or not mine:
            return None
        note.read_at = note.read_at or utcnow()
        return NotificationOut.model_validate(note, from_attributes=True)

    found = await in_transaction(settings.database_url, write)
    if found is None:
        raise not_found("notification")
    return found
