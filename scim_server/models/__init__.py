"""The tables, one module each; importing this package registers them all on `Base`."""
from .access_request import AccessRequest
from .account import Account, SiteAccess
from .admin_key import AdminKey
from .audit import AuditEvent
from .base import Base, new_id, utcnow
from .credential_stamp import CredentialStamp
from .console import ConsoleSession, ConsoleSignInLink, ServerSecret
from .directory import Directory, ScimToken
from .directory_push import DirectoryPush
from .directory_user import DirectoryUser, DirectoryUserValue
from .domain_rule import DomainRule
from .emailed_link import EmailedLink
from .group import Group, GroupMember
from .invitation import Invitation
from .organization import Organization, Site
from .outbox import OutboxMessage
from .product import Product, ProductActivity, ProductGrant
from .scim_failure import ScimFailure
from .scim_request_count import ScimRequestCount
from .tolerance import ToleranceCounter

__all__ = [
    "AccessRequest", "Account", "AdminKey", "AuditEvent", "Base", "ConsoleSession",
    "ConsoleSignInLink", "CredentialStamp", "Directory", "DirectoryPush", "DirectoryUser",
    "DirectoryUserValue", "DomainRule", "EmailedLink", "Group", "GroupMember", "Invitation",
    "Organization", "OutboxMessage", "Product", "ProductActivity", "ProductGrant",
    "ScimFailure", "ScimRequestCount", "ScimToken", "ServerSecret", "Site", "SiteAccess",
    "ToleranceCounter", "new_id", "utcnow",
]
