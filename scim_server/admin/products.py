"""`products`, their grants, and `licences`."""
from __future__ import annotations

from typing import Any

from flask import request

from .. import db
from ..models import Product, ProductGrant
from ..services import licences as licence_service
from ..services import product_access
from ..services import products as service
from . import auth
from .blueprint import ORG, endpoint, precondition
from .errors import Problem
from .pagination import Page, SortKey, paginate
from .serializers import (GrantPutSchema, GrantSchema, LicenceSchema, PageQuerySchema,
                          ProductCreateSchema, ProductSchema, ProductsQuerySchema,
                          ProductUpdateSchema)

PRODUCT_KEYS = (SortKey(Product.created_at), SortKey(Product.id))
GRANT_KEYS = (SortKey(ProductGrant.created_at), SortKey(ProductGrant.id))


def grant_document(grant: ProductGrant) -> dict[str, Any]:
    return {"id": grant.id, "product_id": grant.product_id,
            "grantee_type": "user" if grant.account_id else "group",
            "account_id": grant.account_id, "group_id": grant.group_id, "role": grant.role,
            "origin": grant.origin, "created_at": grant.created_at}


@endpoint(ORG + "/products", "GET", permission="org:read", tag="products",
          summary="List products", query=ProductsQuerySchema, response=ProductSchema, paged=True)
def list_products(query: dict[str, Any]) -> Page:
    stmt = service.products_query(auth.org_id(), query.get("site_id"))
    return paginate(db.session(), stmt, PRODUCT_KEYS, limit=query.get("limit"),
                    cursor=query.get("cursor"))


@endpoint(ORG + "/products", "POST", permission="org:write", tag="products",
          summary="Create a product on a site", body=ProductCreateSchema,
          response=ProductSchema, statuses=(201,))
def create_product(body: dict[str, Any]) -> Product:
    return service.create_product(db.session(), auth.org_id(), body["site_id"], body["key"],
                                  body["name"], auth.actor(), seat_limit=body.get("seat_limit"),
                                  roles=body.get("roles"))


@endpoint(ORG + "/products/<product_id>", "GET", permission="org:read", tag="products",
          summary="Read a product", response=ProductSchema)
def get_product(product_id: str) -> Product:
    return service.get_product(db.session(), auth.org_id(), product_id)


@endpoint(ORG + "/products/<product_id>", "PATCH", permission="org:write", tag="products",
          summary="Change a product (If-Match honoured)", body=ProductUpdateSchema,
          response=ProductSchema)
def update_product(product_id: str, body: dict[str, Any]) -> Product:
    session = db.session()
    product = service.get_product(session, auth.org_id(), product_id, lock=True)
    precondition(product)
    return service.update_product(session, product, body, auth.actor())


@endpoint(ORG + "/products/<product_id>/grants", "GET", permission="org:read", tag="products",
          summary="List a product's grants", query=PageQuerySchema, response=GrantSchema,
          paged=True)
def list_grants(product_id: str, query: dict[str, Any]) -> Page:
    session = db.session()
    service.get_product(session, auth.org_id(), product_id)
    page = paginate(session, product_access.grants_query(auth.org_id(), product_id), GRANT_KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
    return Page([grant_document(g) for g in page.items], page.next_cursor, page.total)


def _put_grant(product_id: str, role: str, *, account_id: str | None = None,
               group_id: str | None = None) -> tuple[dict[str, Any], int]:
    session = db.session()
    org_id = auth.org_id()
    # The product's row lock first: the If-Match check and the write are then one step
    # for every other writer of this product's grants (and its seat count).
    service.get_product(session, org_id, product_id, lock=True)
    current = product_access.get_grant(session, org_id, product_id, account_id=account_id,
                                       group_id=group_id)
    if current is not None:
        precondition(grant_document(current))
    elif request.headers.get("If-Match") is not None:
        raise Problem(412, "there is no such grant yet, so If-Match cannot match",
                      slug="precondition-failed")
    if account_id is not None:
        grant, created = product_access.grant_to_account(session, org_id, product_id,
                                                         account_id, role, auth.actor())
    else:
        grant, created = product_access.grant_to_group(session, org_id, product_id,
                                                       str(group_id), role, auth.actor())
    return grant_document(grant), 201 if created else 200


@endpoint(ORG + "/products/<product_id>/grants/users/<account_id>", "PUT",
          permission="access:write", tag="products", body=GrantPutSchema, response=GrantSchema,
          summary="Grant a product role to a user (idempotent; seat limit enforced)",
          statuses=(200, 201))
def put_user_grant(product_id: str, account_id: str, body: dict[str, Any]
                   ) -> tuple[dict[str, Any], int]:
    return _put_grant(product_id, body["role"], account_id=account_id)


@endpoint(ORG + "/products/<product_id>/grants/groups/<group_id>", "PUT",
          permission="access:write", tag="products", body=GrantPutSchema, response=GrantSchema,
          summary="Grant a product role to a group and its nested groups (idempotent; seat "
                  "limit enforced)", statuses=(200, 201))
def put_group_grant(product_id: str, group_id: str, body: dict[str, Any]
                    ) -> tuple[dict[str, Any], int]:
    return _put_grant(product_id, body["role"], group_id=group_id)


@endpoint(ORG + "/products/<product_id>/grants/users/<account_id>", "DELETE",
          permission="access:write", tag="products", summary="Revoke a user's grant (idempotent)",
          statuses=(204,))
def delete_user_grant(product_id: str, account_id: str) -> None:
    product_access.revoke(db.session(), auth.org_id(), product_id, auth.actor(),
                          account_id=account_id)


@endpoint(ORG + "/products/<product_id>/grants/groups/<group_id>", "DELETE",
          permission="access:write", tag="products", summary="Revoke a group's grant (idempotent)",
          statuses=(204,))
def delete_group_grant(product_id: str, group_id: str) -> None:
    product_access.revoke(db.session(), auth.org_id(), product_id, auth.actor(),
                          group_id=group_id)


@endpoint(ORG + "/licences", "GET", permission="org:read", tag="products",
          summary="Seats per product: limit, used, available", query=PageQuerySchema,
          response=LicenceSchema, paged=True)
def list_licences(query: dict[str, Any]) -> Page:
    session = db.session()
    page = paginate(session, service.products_query(auth.org_id()), PRODUCT_KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
    docs = []
    for product in page.items:
        used = licence_service.used_seats(session, product)
        licence = licence_service.Licence(product, product.seat_limit, used)
        docs.append({"product_id": product.id, "product_key": product.key,
                     "product_name": product.name, "seat_limit": product.seat_limit,
                     "used": used, "available": licence.available})
    return Page(docs, page.next_cursor, page.total)
