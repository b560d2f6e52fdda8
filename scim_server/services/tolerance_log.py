"""Count the identity-provider workarounds that fired, per directory, for admins to see."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import ToleranceCounter, utcnow


def record_fired(session: Session, directory_id: str, names: Iterable[str],
                 request_id: str | None) -> None:
    """Add one to each named counter (an UPDATE, or an INSERT the first time)."""
    for name, times in Counter(names).items():
        if _increment(session, directory_id, name, times, request_id):
            continue
        try:
            with session.begin_nested():  # a concurrent first insert must not fail the request
                session.add(ToleranceCounter(directory_id=directory_id, name=name, count=times,
                                             last_fired_at=utcnow(), last_request_id=request_id))
        except IntegrityError:
            _increment(session, directory_id, name, times, request_id)


def _increment(session: Session, directory_id: str, name: str, times: int,
               request_id: str | None) -> bool:
    result = session.execute(
        update(ToleranceCounter)
        .where(ToleranceCounter.directory_id == directory_id, ToleranceCounter.name == name)
        .values(count=ToleranceCounter.count + times, last_fired_at=utcnow(),
                last_request_id=request_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
