"""Fixtures the public pages share with the admin API tests (products, accounts, groups)."""
from tests.admin.conftest import (admin, make_account, make_product,  # noqa: F401
                                  make_synced_group, site_id)
