"""Identity-provider workarounds: named, enabled per directory profile, counted when used.

Each workaround is a departure from RFC 7644 that a real identity provider needs. A
directory's profile (`Directory.idp`) decides which are on; the PATCH engine asks
`Tolerances.use(name)` at the moment a request needs one, which records it in `fired`
so the caller can count it (`context.record_tolerances`). A workaround that is off
leaves the strict RFC behaviour in place.

Decisions per profile (the table `PROFILES` below is the source of truth):

- Harmless everywhere, so on for every profile, `generic` included, but still counted:
  `op_case` (`"Replace"` for `"replace"`), `operations_key` (`operations` for
  `Operations`; attribute names are case-insensitive anyway, RFC 7643 §2.1),
  `attribute_path_keys` (a path-less value keyed by an attribute path such as
  `name.givenName` or `urn:...:enterprise:2.0:User:department`: the attribute notation
  of RFC 7644 §3.10, which cannot be mistaken for anything else) and
  `empty_members_replace` (`replace members []` removes every member, which is what an
  empty multi-valued value means under RFC 7643 §2.5).
- `entra` (Microsoft Entra ID): `string_booleans` (`"False"`), `create_on_filter` (a
  filtered add/replace with no match creates the element instead of noTarget),
  `manager_shapes` (manager as a bare id or a one-element list) and
  `remove_value_selects`.
- `onelogin`: `string_booleans`, `remove_value_selects` (it removes group members the
  way Entra does) and `legacy_schema_urn`: its PUT names the resource's schema with the
  pre-RFC URN `urn:scim:schemas:core:2.0` (see `legacy_schemas.py`).
- `okta`: `readonly_echo`: a path-less replace that echoes `id`, `schemas` and `meta`
  (a group rename) ignores those keys when `id` is the resource's own.
- `google`, `jumpcloud`: only the harmless set; they speak plain RFC 7644. Google's
  `active` as the string `"false"` stays refused: no Google documentation, issue thread
  or published log shows Google Workspace sending string booleans (Entra's are
  documented by Microsoft), so such a request is more likely a broken custom client,
  and its refusal is shown, with its request id, in the directory's failures.
- `generic`: strict RFC 7644 apart from the harmless set.

`remove_value_selects` (a remove with path `members` and a `value` list removes only
the listed members): RFC 7644 §3.5.2.2 reads a remove's target from its path alone, so
read literally the request removes every member. No client sends a value meaning
"everything", and guessing wrong empties a group of 300,000, so without the workaround
(`generic`, `okta`, ...) such a remove is refused with `invalidValue`, as scim2-models
does under its strict policy; scim2-tester never sends a value with a remove.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

OP_CASE = "op_case"
OPERATIONS_KEY = "operations_key"
ATTRIBUTE_PATH_KEYS = "attribute_path_keys"
EMPTY_MEMBERS_REPLACE = "empty_members_replace"
STRING_BOOLEANS = "string_booleans"
CREATE_ON_FILTER = "create_on_filter"
MANAGER_SHAPES = "manager_shapes"
REMOVE_VALUE_SELECTS = "remove_value_selects"
READONLY_ECHO = "readonly_echo"
LEGACY_SCHEMA_URN = "legacy_schema_urn"

ALL_TOLERANCES: frozenset[str] = frozenset({
    OP_CASE, OPERATIONS_KEY, ATTRIBUTE_PATH_KEYS, EMPTY_MEMBERS_REPLACE, STRING_BOOLEANS,
    CREATE_ON_FILTER, MANAGER_SHAPES, REMOVE_VALUE_SELECTS, READONLY_ECHO, LEGACY_SCHEMA_URN,
})

_HARMLESS = frozenset({OP_CASE, OPERATIONS_KEY, ATTRIBUTE_PATH_KEYS, EMPTY_MEMBERS_REPLACE})

PROFILES: dict[str, frozenset[str]] = {
    "entra": _HARMLESS | {STRING_BOOLEANS, CREATE_ON_FILTER, MANAGER_SHAPES,
                          REMOVE_VALUE_SELECTS},
    "okta": _HARMLESS | {READONLY_ECHO},
    "onelogin": _HARMLESS | {STRING_BOOLEANS, REMOVE_VALUE_SELECTS, LEGACY_SCHEMA_URN},
    "google": _HARMLESS,
    "jumpcloud": _HARMLESS,
    "generic": _HARMLESS,
}


@dataclass
class Tolerances:
    """The workarounds enabled for one request, and the ones it actually used."""

    profile: str
    enabled: frozenset[str]
    fired: list[str] = field(default_factory=list)

    def allows(self, name: str) -> bool:
        """Whether the workaround is on, without recording anything."""
        return name in self.enabled

    def use(self, name: str) -> bool:
        """Record that the request needs `name`; True when it is on (and so fired)."""
        if name not in self.enabled:
            return False
        self.fired.append(name)
        return True

    def counts(self) -> dict[str, int]:
        """How often each workaround fired, by name."""
        return dict(Counter(self.fired))

    @property
    def lenient_booleans(self) -> bool:
        """Whether booleans sent as strings ("True", "false") are accepted."""
        return STRING_BOOLEANS in self.enabled


def tolerances_for(profile: str, overrides: Mapping[str, bool] | None = None) -> Tolerances:
    """A fresh `Tolerances` for a directory's profile, with per-directory switches applied.

    Raises `ValueError` for a profile or workaround name that does not exist.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown identity-provider profile {profile!r}; "
                         f"expected one of {', '.join(sorted(PROFILES))}")
    enabled = set(PROFILES[profile])
    for name, on in (overrides or {}).items():
        if name not in ALL_TOLERANCES:
            raise ValueError(f"unknown tolerance {name!r}")
        if on:
            enabled.add(name)
        else:
            enabled.discard(name)
    return Tolerances(profile, frozenset(enabled))
