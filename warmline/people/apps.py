from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Relationship memory: accounts, contacts, personal facts, important dates."""

    name = "warmline.people"
    label = "people"
    verbose_name = "Relationship memory"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from warmline.core.registries.touches import touch_listen
        from warmline.people.search_index import search_index_post_migrate
        from warmline.people.services import contact_touches_record

        # Re-check the search index after every migrate (see search_index.py).
        post_migrate.connect(search_index_post_migrate, sender=self)
        # Each personal touch the timeline records moves the contact's last touch forward.
        touch_listen(key="people.last_touch", listener=contact_touches_record)
