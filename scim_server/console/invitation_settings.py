"""Where invitation links point and how long they live, read from the configuration."""
from __future__ import annotations

from typing import cast

from flask import current_app

from ..config import Config
from ..services.invitation_tokens import InvitationSettings


def invitation_settings() -> InvitationSettings:
    config = cast(Config, current_app.config["SCIM"])
    return InvitationSettings(public_url=config.public_url, ttl_days=config.invitation_ttl_days)
