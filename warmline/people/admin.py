from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

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
from warmline.people.services import account_contacts_changed, contacts_delete


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    extra = 0


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    extra = 0


class PersonalFactInline(admin.TabularInline):
    model = PersonalFact
    extra = 0
    exclude = ("created_by",)


class ImportantDateInline(admin.TabularInline):
    model = ImportantDate
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "industry", "tier", "owner", "country")
    list_filter = ("tier", "country", "owner")
    search_fields = ("name", "domain")
    raw_id_fields = ("owner",)

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "tier" in form.changed_data:  # the tier sets the reconnect cadence
            account_contacts_changed(account_id=obj.pk)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "account", "owner", "stage", "email", "phone", "last_touch_at")
    list_filter = ("stage", "owner", "do_not_call", "email_opt_in")
    search_fields = ("search_text",)
    raw_id_fields = ("owner", "account")
    filter_horizontal = ("interests",)
    readonly_fields = ("last_touch_at", "email", "phone", "search_text")
    inlines = [ContactEmailInline, ContactPhoneInline, PersonalFactInline, ImportantDateInline]
    list_select_related = ("account", "owner")

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
