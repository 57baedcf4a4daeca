"""Alembic environment: runs paramscope's schema revisions on the connection the storage hands in.

``paramscope.storage.engine.migrate`` opens a locked transaction and passes its connection
through ``config.attributes["connection"]``; every revision then runs inside that one
transaction, so several processes opening a fresh database at once apply each revision once.
"""

from __future__ import annotations

from alembic import context
from alembic.config import Config

from paramscope.storage.schema import VERSION_TABLE, metadata


def run(config: Config) -> None:
    """Apply the pending revisions on the connection found in ``config.attributes``."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "paramscope migrations run when a storage is opened (paramscope.storage."
            "open_storage(url)), which passes its connection; the alembic command line is not used"
        )
    context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


# Alembic provides ``context.config`` only while it runs this script; importing the module
# anywhere else (a doctest collector, say) does nothing.
if hasattr(context, "config"):
    run(context.config)
