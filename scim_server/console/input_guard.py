"""Refuse NUL characters in any console URL, query or form before a view reads them.

No name, email address, id or filter contains U+0000, and PostgreSQL cannot store or
compare text holding it (the driver raises, which would surface as a 500). One check for
every console page: an id in the path answers 404 like any id that does not exist; a query
or form value answers 400 with a page that says what to do.
"""
from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import NotFound

from .blueprint import bp
from .errors import error_page

NUL = "\x00"


@bp.before_request
def _refuse_nul() -> Any:
    if any(NUL in str(value) for value in (request.view_args or {}).values()):
        raise NotFound("There is no such page in your console.")
    values = [*request.args.values(), *request.args.keys()]
    if request.method == "POST":
        values += [*request.form.values(), *request.form.keys()]
    if any(NUL in value for value in values):
        return error_page(400, "That input contains a character we cannot use",
                          "A NUL character (U+0000) is not part of any name, address or "
                          "filter.", "Go back, retype the value, and try again.")
    return None
