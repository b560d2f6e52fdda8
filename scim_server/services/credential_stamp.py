"""The revocation stamp: how every worker learns at once that a credential stopped working.

Workers remember credentials they verified (scim/token_cache.py), which saves two lookups
a request. A revocation, a rotation that shortens a token's life, or any other change that
makes a credential stop working early bumps the stamp in the same transaction; a worker
reads the stamp (one primary-key read of a one-row table) and drops every remembered
credential verified under an older stamp. So the next request after the commit, on any
process of any host, sees the change.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import CredentialStamp
from . import core_statements

STAMP_ID = 1
#: `session.info` flag: this transaction moved the stamp (ops/rate_limit.py mirrors it to
#: Redis after the commit, where workers read it with their rate limit at no extra cost).
MOVED = "credential_stamp_moved"


#: Built once: this read runs on every authenticated request.
_CURRENT = select(CredentialStamp.value).where(CredentialStamp.id == STAMP_ID)


def current(session: Session) -> int:
    """The stamp now (0 before any revocation)."""
    value = core_statements.scalar(session, _CURRENT)
    return int(value or 0)


def bump(session: Session) -> None:
    """Move the stamp in the caller's transaction: cached credentials must be checked again."""
    session.info[MOVED] = True
    moved = session.execute(update(CredentialStamp).where(CredentialStamp.id == STAMP_ID)
                            .values(value=CredentialStamp.value + 1)
                            .execution_options(synchronize_session=False))
    if moved.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(CredentialStamp(id=STAMP_ID, value=1))
    except IntegrityError:  # another transaction made the row first
        session.execute(update(CredentialStamp).where(CredentialStamp.id == STAMP_ID)
                        .values(value=CredentialStamp.value + 1)
                        .execution_options(synchronize_session=False))
