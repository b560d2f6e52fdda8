"""Forms shared by console pages; each is declared once and rendered by `_forms.html`.

Flask-WTF adds and checks the CSRF token of every form. A text field that is stored is
sized by its column (`kept_length`), like the admin API's schemas: a longer value is an
error shown on the field, never a 500 from PostgreSQL's `VARCHAR(n)`.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask_wtf import FlaskForm
from sqlalchemy.orm import QueryableAttribute
from wtforms import EmailField, HiddenField, SelectMultipleField, SubmitField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..services.column_lengths import column_length
from ..services.email_addresses import EMAIL_LENGTH
from ..services.invitations import is_valid_email


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Options of a select, radio or checkbox list, from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def kept_length(column: QueryableAttribute[Any]) -> Length:
    """At most as long as `column` keeps (the input's `maxlength` says so too)."""
    return Length(max=column_length(column))


def email_address(_form: Any, field: Any) -> None:
    """The same address rule as invitations (one home for it)."""
    if field.data and not is_valid_email(field.data.strip()):
        raise ValidationError("Enter an email address, like name@example.com.")


class SignInRequestForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."),
                                                    Length(max=EMAIL_LENGTH), email_address],
                       render_kw={"autocomplete": "email", "autofocus": True})
    submit = SubmitField("Send sign-in link")


class SignInForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Sign in")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""

    submit = SubmitField("Confirm")


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (a fieldset with one label per box)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
