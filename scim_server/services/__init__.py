"""Domain services: plain data in, domain objects out, domain errors raised; no HTTP here."""
