"""`sites`: the organization's sites."""
from __future__ import annotations

from typing import Any

from .. import db
from ..models import Site
from ..services import sites as service
from . import auth
from .blueprint import ORG, endpoint, precondition
from .pagination import Page, SortKey, paginate
from .serializers import PageQuerySchema, SiteCreateSchema, SiteSchema, SiteUpdateSchema

KEYS = (SortKey(Site.created_at), SortKey(Site.id))


@endpoint(ORG + "/sites", "GET", permission="org:read", tag="sites", summary="List sites",
          query=PageQuerySchema, response=SiteSchema, paged=True)
def list_sites(query: dict[str, Any]) -> Page:
    return paginate(db.session(), service.sites_query(auth.org_id()), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))


@endpoint(ORG + "/sites", "POST", permission="org:write", tag="sites", summary="Create a site",
          body=SiteCreateSchema, response=SiteSchema, statuses=(201,))
def create_site(body: dict[str, Any]) -> Site:
    return service.create_site(db.session(), auth.org_id(), body["name"], body.get("url"),
                               auth.actor())


@endpoint(ORG + "/sites/<site_id>", "GET", permission="org:read", tag="sites",
          summary="Read a site", response=SiteSchema)
def get_site(site_id: str) -> Site:
    return service.get_site(db.session(), auth.org_id(), site_id)


@endpoint(ORG + "/sites/<site_id>", "PATCH", permission="org:write", tag="sites",
          summary="Change a site (If-Match honoured)", body=SiteUpdateSchema, response=SiteSchema)
def update_site(site_id: str, body: dict[str, Any]) -> Site:
    session = db.session()
    site = service.get_site(session, auth.org_id(), site_id, lock=True)
    precondition(site)
    return service.update_site(session, site, body, auth.actor())
