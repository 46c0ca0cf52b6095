"""warmline.core.forms.form_add_service_errors: a service's ValidationError onto a form, by
key or code, never by the message text."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from warmline.core.forms import form_add_service_errors


class NoteForm(forms.Form):
    subject = forms.CharField(required=False)
    when = forms.CharField(required=False)
    body = forms.CharField()


def _form(**data: str) -> NoteForm:
    form = NoteForm({"subject": "", "when": "", "body": "x", **data})
    form.is_valid()  # cleans, so services' errors come on top of the fields' own
    return form


def test_keys_go_to_the_field_of_that_name_and_unknown_keys_to_the_top():
    form = _form()
    form_add_service_errors(
        form, ValidationError({"subject": "Give it a subject.", "owner": "Pick an owner."})
    )
    assert form.errors["subject"] == ["Give it a subject."]
    assert form.errors[NON_FIELD_ERRORS] == ["Pick an owner."]


def test_fields_renames_a_service_key_or_sends_it_to_the_top():
    form = _form()
    form_add_service_errors(
        form,
        ValidationError({"occurred_at": "Not in the future.", "body": "Too long."}),
        fields={"occurred_at": "when", "body": None},
    )
    assert form.errors["when"] == ["Not in the future."]
    assert form.errors[NON_FIELD_ERRORS] == ["Too long."]


def test_a_plain_error_goes_by_its_code_else_to_the_top():
    form = _form()
    form_add_service_errors(
        form,
        ValidationError(
            [
                ValidationError("“+1 555” is not a date.", code="bad_when"),
                ValidationError("Mentions subject but is not about it.", code="other"),
            ]
        ),
        codes={"bad_when": "when"},
    )
    assert form.errors["when"] == ["“+1 555” is not a date."]
    # The message names a field, but the text is never read.
    assert form.errors[NON_FIELD_ERRORS] == ["Mentions subject but is not about it."]


def test_params_are_kept_until_the_message_is_shown():
    form = _form()
    form_add_service_errors(
        form, ValidationError({"body": ValidationError("%(n)s too many", params={"n": 3})})
    )
    assert form.errors["body"] == ["3 too many"]


def test_skip_invalid_keeps_a_fields_own_message_alone():
    form = _form(body="")
    assert form.errors["body"] == ["This field is required."]
    form_add_service_errors(
        form,
        ValidationError({"body": "Write the note.", "subject": "Give it a subject."}),
        skip_invalid=True,
    )
    assert form.errors["body"] == ["This field is required."]
    assert form.errors["subject"] == ["Give it a subject."]
