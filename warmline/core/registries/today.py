"""The *Today* page's seam: feature apps register sections here instead of the page
importing them. A section is a template plus a function that builds its context with a
bounded number of queries (the page's query count must not grow with the book)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TodayContext:
    user: Any  # the signed-in warmline.users.User (the base layer imports no app)
    today: dt.date
    now: dt.datetime


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    template: str
    build: Callable[[TodayContext], dict[str, Any]]
    visible: Callable[[Any], bool] = lambda user: True


@dataclass(frozen=True)
class RenderedSection:
    section: Section
    context: dict[str, Any]


_sections: dict[str, Section] = {}


def section_register(section: Section) -> None:
    """Add (or replace, by key) a section. Call from an AppConfig.ready()."""
    _sections[section.key] = section


def section_list() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def sections_build(ctx: TodayContext) -> list[RenderedSection]:
    return [
        RenderedSection(section=s, context=s.build(ctx))
        for s in section_list()
        if s.visible(ctx.user)
    ]
