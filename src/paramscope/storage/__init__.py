"""Storage: the database of runs that every worker, sampler and dashboard reads and writes.

``open_storage(url)`` opens a SQLite file (the embedded default), an in-memory SQLite database or
a PostgreSQL database; ``storage/base.py`` holds the protocols the rest of paramscope relies on.
"""

from __future__ import annotations

from paramscope.storage.sql import SQLStorage
from paramscope.storage.urls import DEFAULT_STORAGE_URL, STORAGE_ENV_VAR, resolve_url

__all__ = ["DEFAULT_STORAGE_URL", "STORAGE_ENV_VAR", "SQLStorage", "open_storage"]


def open_storage(url: str | None = None) -> SQLStorage:
    """Open the storage at ``url``, else ``$PARAMSCOPE_STORAGE``, else ``sqlite:///paramscope.db``.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` (in memory, this process only) or
            ``postgresql://user:password@host:port/db``; None for the default.

    Returns:
        The opened storage, its schema migrated to the current revision.

    Raises:
        StorageURLError: the URL is malformed or names an unsupported database.
        StorageError: the database cannot be reached or prepared.

    Example:
        >>> storage = open_storage("sqlite://")
        >>> storage.list_studies()
        []
        >>> storage.close()
    """
    return SQLStorage(resolve_url(url))
