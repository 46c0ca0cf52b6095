"""Feature apps add their own demo rows (products, questions, cases, ...) here, from their
AppConfig.ready(), so the demo loader never imports features. Kept apart from
`warmline.core.demo` so that registering does not import Faker at every start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

DemoExtension = Callable[[dt.datetime], object]
_extensions: dict[str, DemoExtension] = {}


def demo_extension_register(*, name: str, load: DemoExtension) -> None:
    """`load(now)` runs after the core demo company exists, inside the same transaction."""
    _extensions[name] = load


def demo_extension_list() -> list[tuple[str, DemoExtension]]:
    return sorted(_extensions.items())
