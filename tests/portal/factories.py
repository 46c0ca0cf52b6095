from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from warmline.portal.models import NewsItem, Product


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    category = "Pumps"
    summary = "A dependable pump."
    description = "First paragraph.\n\nSecond paragraph."
    specs = "Flow: 200 m³/h\nHead: 90 m"


class NewsItemFactory(DjangoModelFactory):
    class Meta:
        model = NewsItem

    title = factory.Sequence(lambda n: f"News item {n}")
    slug = factory.LazyAttribute(lambda o: o.title.lower().replace(" ", "-"))
    summary = "Something happened."
    body = "Details.\n\nMore details."
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
