"""Consecutive user creations of a Bulk request, written together (RFC 7644 §3.7).

A first sync sends Bulk requests made of nothing but `POST /Users`. Run one at a time,
each costs a SAVEPOINT and six statements; `services/user_batches.py` writes a run of
new users with four multi-row INSERTs instead. The result must be the one the
operations would have had one by one, in order, so a run:

- holds only POSTs to /Users that refer to no bulkId, in request order, and ends after
  an operation another one waits for (that one runs next, as it would have);
- ends before the first body that fails validation, and before the first user that
  would not be a new account (its userName is taken, or its email belongs to an account,
  to link or refuse): those run the ordinary way, which answers them as it always does;
- is written in its own SAVEPOINT: if PostgreSQL's unique indexes catch a concurrent
  twin, nothing of the run stays and its operations run one by one.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy.exc import IntegrityError

from .. import db
from ..models import DirectoryUser
from ..services import db_errors, user_batches
from ..services.directory_users import UserData
from . import context, users
from .bulk_refs import BulkOperation, parse_target
from .errors import as_scim_error
from .tolerances import Tolerances

#: Users written per run: bounds the statement size and the memory a run holds.
RUN_LIMIT = 1000


def can_join(op: BulkOperation) -> bool:
    """A POST to /Users that refers to nothing and was not refused while parsing."""
    if op.error is not None or op.method != "POST" or op.references or op.path is None:
        return False
    try:
        return parse_target(op.method, op.path) == ("Users", None)
    except Exception:  # noqa: BLE001 - an unusable path runs the ordinary way, which says why
        return False


def collect(first: BulkOperation, pending: Sequence[BulkOperation]) -> list[BulkOperation]:
    """The run that starts at `first` (which `can_join`), in request order."""
    waited_for = {ref for op in pending for ref in op.references}
    run: list[BulkOperation] = []
    for op in pending[pending.index(first):]:
        if not can_join(op) or len(run) == RUN_LIMIT:
            break
        run.append(op)
        if op.bulk_id is not None and op.bulk_id in waited_for:
            break
    return run


def create(run: Sequence[BulkOperation]) -> list[tuple[BulkOperation, DirectoryUser]]:
    """Create the users of `run` that can be created together, from the first.

    Returns the operations done with their new users; the caller runs the rest, starting
    with the first one not done, the ordinary way.
    """
    parsed: list[tuple[UserData, Tolerances]] = []
    for op in run:
        try:
            parsed.append(users.parse_new_user(op.data))
        except Exception as exc:  # noqa: BLE001 - only client errors end the run here
            if as_scim_error(exc) is None:
                raise
            break
    if len(parsed) < 2:
        return []  # nothing to gain over the ordinary way
    session, directory = db.session(), context.directory()
    datas = [data for data, _ in parsed]
    try:
        with session.begin_nested():
            fresh = user_batches.fresh_prefix(session, directory, datas)
            created = (user_batches.create_fresh(session, directory, datas[:fresh],
                                                 context.actor()) if fresh else [])
    except IntegrityError as exc:
        if not db_errors.is_unique_violation(exc):
            raise
        return []  # a concurrent twin: the ordinary way reports it operation by operation
    for _, tolerances in parsed[:len(created)]:
        context.record_tolerances(tolerances)
    return list(zip(run, created))
