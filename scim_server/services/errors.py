"""Domain errors: raised by services, translated to SCIM or problem documents at the edge."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DomainError):
    """The thing does not exist in this tenant."""


class Conflict(DomainError):
    """The change clashes with existing state (a unique value, a managed account, ...)."""


class InvalidInput(DomainError):
    """The data is well-formed but not acceptable."""


class VersionMismatch(DomainError):
    """An optimistic-concurrency check failed: someone changed it first."""


class Forbidden(DomainError):
    """The caller may not do this."""


class LimitExceeded(DomainError):
    """A limit (seats, rate, size) would be passed."""


class Refusal(DomainError):
    """A rule says no. `reason` is a stable slug clients match on, `title` a short name,
    the message says why and what would change it; `facts` name the things involved
    (ids, a role) and `admin_message` is what an administrator wrote to the person.

    It carries no status and no URL: each blueprint's error mapper decides how to say it.
    """

    def __init__(self, reason: str, title: str, detail: str, *,
                 admin_message: str | None = None, **facts: object):
        super().__init__(detail)
        self.reason, self.title, self.facts = reason, title, facts
        self.admin_message = admin_message


class RefusedByRule(Refusal, Forbidden):
    """A policy forbids it whatever the timing: the person may not, until someone acts."""


class RefusedByState(Refusal, Conflict):
    """The current state of the account or request rules it out."""
