"""Alembic environment: runs in-process on the connection Followup hands over."""

from alembic import context

from followup.db.migrate import include_object
from followup.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - Followup always passes a connection
    raise RuntimeError("Run migrations through `followup init`, not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
