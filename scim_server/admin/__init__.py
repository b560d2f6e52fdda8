"""The admin API (`/admin/v1/orgs/{org_id}`): organizations manage who may use which product."""
