"""The contact page's seam: feature apps add panels to it without the page importing them.

A panel is a URL that takes the contact's id and answers with an HTML fragment (the
service app's open cases, the portal's questions). The contact page renders one empty
placeholder per panel that loads its fragment with htmx once the page is shown
(`hx-trigger="load"`), so panels cost the page itself no query at all and a slow or failing
panel never holds the page up. Register from an AppConfig.ready()::

    from warmline.people.panels import contact_panel_register

    contact_panel_register(
        key="cases", label="Open service cases", url_name="contact-cases", order=20
    )

The fragment's view must check the contact is visible to the user (`contact_get`), as
every contact URL does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from warmline.people.models import Contact
from warmline.users.models import User


@dataclass(frozen=True)
class ContactPanel:
    key: str
    label: str  # the placeholder's heading until the fragment arrives
    url_name: str  # reversed with the contact's id as its only argument
    order: int = 100
    visible: Callable[[User], bool] = lambda user: True


@dataclass(frozen=True)
class PlacedPanel:
    """A panel for one contact page: what the template needs."""

    key: str
    label: str
    url: str


_panels: dict[str, ContactPanel] = {}


def contact_panel_register(
    key: str,
    label: str,
    url_name: str,
    order: int = 100,
    visible: Callable[[User], bool] | None = None,
) -> None:
    """Add (or replace, by key) a panel. Call from an AppConfig.ready()."""
    _panels[key] = ContactPanel(
        key=key,
        label=label,
        url_name=url_name,
        order=order,
        visible=visible or (lambda user: True),
    )


def contact_panel_unregister(key: str) -> None:
    _panels.pop(key, None)


def contact_panel_list() -> list[ContactPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def contact_panels_place(*, user: User, contact: Contact) -> list[PlacedPanel]:
    """The panels `user` sees on `contact`'s page, in order. No query."""
    return [
        PlacedPanel(key=p.key, label=p.label, url=reverse(p.url_name, args=[contact.pk]))
        for p in contact_panel_list()
        if p.visible(user)
    ]
