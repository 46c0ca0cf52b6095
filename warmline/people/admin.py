"""Back office for the relationship memory. Its forms check what they save with the same
helpers as the app's pages (e-mails and phones normalised, phones to E.164 in the account's
country), and saving goes through the same services, so a contact's primary e-mail and
phone, time zone and search text stay in step with its rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from warmline.core.forms import form_add_service_errors
from warmline.core.phones import phone_normalize
from warmline.core.registries.reasons import reasons_changed
from warmline.people.models import (
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    ImportantDate,
    PersonalFact,
    Tag,
)
from warmline.people.services import (
    account_clean,
    account_save,
    contact_points_clean,
    contact_points_refresh,
    contacts_delete,
    email_normalize,
)


class ContactPointFormSet(BaseInlineFormSet):
    """E-mail or phone rows of one contact: at most one marked primary. Phones are read in
    the country of the contact's account (as chosen in the same form)."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if issubclass(self.form, ContactPhoneAdminForm):
            account = self.instance.account if self.instance.account_id else None
            kwargs["region"] = account.country if account and account.country else None
        return kwargs

    def clean(self) -> None:
        super().clean()
        primary = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_primary") and not form.cleaned_data.get("DELETE")
        ]
        if len(primary) > 1:
            noun = "e-mail address" if self.model is ContactEmail else "phone number"
            raise ValidationError(f"Mark only one {noun} as primary.")


class ContactEmailAdminForm(forms.ModelForm):
    class Meta:
        model = ContactEmail
        fields = ("address", "label", "is_primary")

    def clean_address(self) -> str:
        return email_normalize(self.cleaned_data["address"])


class ContactPhoneAdminForm(forms.ModelForm):
    class Meta:
        model = ContactPhone
        fields = ("number", "label", "is_primary")

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_number(self) -> str:
        return phone_normalize(self.cleaned_data["number"], region=self.region)


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    form = ContactEmailAdminForm
    formset = ContactPointFormSet
    extra = 0


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    form = ContactPhoneAdminForm
    formset = ContactPointFormSet
    extra = 0


class PersonalFactInline(admin.TabularInline):
    model = PersonalFact
    extra = 0
    exclude = ("created_by",)


class ImportantDateInline(admin.TabularInline):
    model = ImportantDate
    extra = 0


class AccountAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """The app's account checks (`account_clean`): domain, website, country, and the
        phone in E.164 read in the account's country."""
        data = super().clean() or {}
        fields = ("domain", "website", "country", "phone")
        probe = Account(**{name: data.get(name) or "" for name in fields})
        try:
            account_clean(account=probe)
        except ValidationError as exc:
            form_add_service_errors(self, exc)
            return data
        data.update({name: getattr(probe, name) for name in fields})
        return data


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ("name", "domain", "industry", "tier", "owner", "country")
    list_filter = ("tier", "country", "owner")
    search_fields = ("name", "domain")
    raw_id_fields = ("owner",)

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        account_save(account=obj)  # also refreshes its contacts' search text on a new name


class ContactAdminForm(forms.ModelForm):
    def clean_time_zone(self) -> str:
        *_, errors = contact_points_clean(
            emails=(), phones=(), time_zone=self.cleaned_data["time_zone"], region=None
        )
        if errors:
            raise ValidationError(errors["time_zone"])
        return str(self.cleaned_data["time_zone"]).strip()


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactAdminForm
    list_display = ("__str__", "account", "owner", "stage", "email", "phone", "last_touch_at")
    list_filter = ("stage", "owner", "do_not_call", "email_opt_in")
    search_fields = ("search_text",)
    raw_id_fields = ("owner", "account")
    filter_horizontal = ("interests",)
    readonly_fields = ("last_touch_at", "email", "phone", "search_text")
    inlines = [ContactEmailInline, ContactPhoneInline, PersonalFactInline, ImportantDateInline]
    list_select_related = ("account", "owner")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        contact_points_refresh(contact=form.instance)

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Owner, stage, cadence, phone, do-not-call and (inline) dates feed the call queue;
        # the admin writes the rows itself, so it tells the queues, old owner's too.
        reasons_changed(rep_ids={form.initial.get("owner"), obj.owner_id})

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        contacts_delete(contacts=Contact.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        contacts_delete(contacts=queryset)  # in batches, and the owners' call queues told


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
