"""Durability: a SQLite command journal with group commit, snapshots, recovery, history.

The engine knows nothing of this: it reports accepted commands to a journal
interface (``engine.commands.CommandJournal``) and events to listeners; this package
stores both and rebuilds the engine from them at start-up.
"""
from api.storage.store import FSYNC_POLICIES, Store, StoreError

__all__ = ["Store", "StoreError", "FSYNC_POLICIES"]
