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
