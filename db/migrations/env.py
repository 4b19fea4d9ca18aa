"""Alembic environment: the URL comes from the caller's config or from Settings."""

from alembic import context
from sqlalchemy import text

from config import get_settings
from db.engine import get_engine
from db.tables import Base

url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url

with get_engine(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # The API and the workers all migrate at start; one of them at a time.
            connection.execute(text("SELECT pg_advisory_xact_lock(72330001)"))
        context.run_migrations()
    connection.commit()
