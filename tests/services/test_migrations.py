from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db.engine import get_engine
from db.migrate import alembic_config, upgrade
from db.tables import Base


def test_migrations_create_every_table(database_url: str) -> None:
    inspector = inspect(get_engine(database_url))
    tables = set(inspector.get_table_names())
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        assert columns == set(table.columns.keys()), name


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    with get_engine(database_url).connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert head is not None
    assert versions == [(head,)]
    assert set(Base.metadata.tables) <= set(inspect(get_engine(database_url)).get_table_names())


def test_the_migrations_build_what_the_tables_declare(database_url: str) -> None:
    """Indexes included: alembic's autogenerate finds nothing to add, drop or change."""
    with get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
