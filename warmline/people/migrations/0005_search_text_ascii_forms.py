"""Add the accent-free forms of names and companies to every search digest that has
accents ("muller" and "mueller" find Müller). Only such rows are rewritten."""

from django.db import migrations

from warmline.people.search import SEPARATOR, search_text_with_forms


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Contact = apps.get_model("people", "Contact")
    rows = Contact.objects.exclude(search_text="").values_list("pk", "search_text")
    changed = []
    for pk, text in rows.iterator(chunk_size=2000):
        if text.isascii():
            continue
        new = search_text_with_forms(text.split(SEPARATOR))
        if new != text:
            changed.append(Contact(pk=pk, search_text=new))
    Contact.objects.bulk_update(changed, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_contact_reconnect_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
