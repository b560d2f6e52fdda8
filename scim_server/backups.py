"""A consistent copy of a SQLite database while the server keeps writing to it.

SQLite's online backup API copies page by page and restarts when a writer changes a page
already copied, so the copy is one consistent snapshot; copying the file (or its WAL)
by hand can catch a half-written transaction.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine


def sqlite_online_backup(engine: Engine, target: Path) -> int:
    """Copy the engine's SQLite database to `target`; returns the number of pages copied."""
    source_path = engine.url.database
    if not source_path:
        raise ValueError("not a SQLite file database")
    with sqlite3.connect(source_path) as source, sqlite3.connect(str(target)) as copy:
        source.backup(copy, pages=1024)
        pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
    return pages
