"""Alembic environment: runs paramscope's schema revisions on the connection the storage hands in.

``paramscope.storage.migrate`` opens a locked transaction and passes its connection through
``config.attributes["connection"]``; every revision then runs inside that one transaction, so
several processes opening a fresh database at once apply each revision exactly once.
"""

from __future__ import annotations

from alembic import context

from paramscope.storage.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "paramscope migrations run through paramscope.storage.open_storage(url), "
        "which passes its connection; the alembic command line is not supported"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
