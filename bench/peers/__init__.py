"""Database-backed peers of scim-server, driven by the same client and scenarios."""
