"""/Users endpoints (RFC 7644 §3)."""
