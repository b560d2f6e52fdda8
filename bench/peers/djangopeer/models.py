"""The smallest models django-scim2's default adapters work with."""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    """`SCIMGroup` reads `name` and the reverse `user_set` of the membership table."""

    name = models.CharField(max_length=150)


class User(AbstractSCIMUserMixin, AbstractUser):
    """`SCIMUser` on Django's user; `scim_groups` is the membership many-to-many."""

    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)
