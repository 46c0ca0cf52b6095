"""Showing a service's ValidationError on the form the user filled in.

Services decide what is right and raise `ValidationError({"field": message})` naming the
input at fault (see STYLE.md: forms parse, services enforce). The view hands that error to
`form_add_service_errors`, so the page comes back with everything the user typed and each
message next to the field it is about. The mapping is structural only: by the error's key,
or by its `code` where a service raises an error not tied to one input. Nothing here reads
the message text.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

_EMPTY: Mapping[str, str | None] = {}


def form_add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    fields: Mapping[str, str | None] = _EMPTY,
    codes: Mapping[str, str | None] = _EMPTY,
    skip_invalid: bool = False,
) -> None:
    """Attach each message of `exc` to a field of `form`.

    An error keyed by a service name goes to `fields[key]` when the form calls that input
    otherwise (None: to the top of the form), else to the form field of the same name.
    An error without such a field (a plain `ValidationError("...")`, or "__all__") goes to
    `codes[error.code]` when its code is listed, else to the form's non-field errors.
    With `skip_invalid`, fields that already failed their own checks keep just those
    messages (a form's `clean()` running the service's checks beside its own).
    """
    if hasattr(exc, "error_dict"):
        keyed = [(key, error) for key, errors in exc.error_dict.items() for error in errors]
    else:
        keyed = [(NON_FIELD_ERRORS, error) for error in exc.error_list]
    for key, error in keyed:
        target = _target(form, key, error, fields=fields, codes=codes)
        if skip_invalid and target is not None and target in form.errors:
            continue
        form.add_error(target, error)


def _target(
    form: forms.BaseForm,
    key: str,
    error: ValidationError,
    *,
    fields: Mapping[str, str | None],
    codes: Mapping[str, str | None],
) -> str | None:
    if key in fields:
        target = fields[key]
    elif key in form.fields:
        target = key
    elif error.code in codes:
        target = codes[str(error.code)]
    else:
        target = None
    return target if target is None or target in form.fields else None
