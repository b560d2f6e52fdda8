"""django-scim2 as a benchmark peer: a minimal Django project with its default adapters.

Settings come from the environment (`bench/peers/djangopeer/settings.py`); the models are
the smallest that django-scim2's default `SCIMUser` / `SCIMGroup` adapters accept (its own
abstract mixins on Django's `AbstractUser`, a group with `name` and a `user_set`).
"""
