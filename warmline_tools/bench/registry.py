"""The sections of `warmline bench`: each app contributes its own, from AppConfig.ready(),
so core never imports a feature app (the same pattern as `demo_registry`).

    bench_section_register(
        name="service",
        title="Service cases: SLA scheduler and Today",
        run="warmline_tools.bench.service:service_bench_section",
    )

`run` is "module:function" and is imported only when the section runs: registering costs
nothing at start-up, and a module that is not there (yet) skips its section with a message
instead of breaking every command. The function is called with keyword arguments and
returns `(entries, markdown)`:

* by default `function(options=BenchOptions, progress=..., log=...)`: the section scales its
  own data from `options` (`options.scale` is 1.0 at full size, tiny in tests);
* with `kwargs=lambda options: {...}`, `function(**kwargs(options), progress=..., log=...)`,
  for a benchmark function with its own parameters.

`progress(n)` advances the section's progress bar by n (`progress.set_total(n)` sizes it
when the section knows its amount of work); `log(line)` reports a phase. `entries` are
benchmarks.json entries ({"name", "value", "unit", "target", "size"}; extra keys are shown
in BENCHMARKS.md but not written to the JSON file, and `"passed": bool` overrides the
default verdict); `markdown` is the section's body for BENCHMARKS.md. Names carry no
database suffix: the command adds `_postgresql` (and `-postgresql` to the section) itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

FULL_CONTACTS = 100_000

BenchEntry = dict[str, Any]
BenchResult = tuple[list[BenchEntry], str]
BenchLog = Callable[[str], None]


class BenchProgress(Protocol):
    def __call__(self, advance: int) -> None: ...

    def set_total(self, total: int) -> None: ...


@dataclass(frozen=True)
class BenchOptions:
    """What `warmline bench` was asked for; every section sizes its own data from it."""

    contacts: int = FULL_CONTACTS
    entries: int = 20
    requests: int = 200
    reuse: bool = False
    # Measuring a test's database where it is: no other process can see its rows.
    in_place: bool = False

    @property
    def scale(self) -> float:
        """1.0 at full size (100,000 contacts); a tiny fraction in tests."""
        return self.contacts / FULL_CONTACTS

    @property
    def full_size(self) -> bool:
        return self.contacts >= FULL_CONTACTS

    def scaled(self, full: float, *, minimum: float = 1) -> int:
        """`full` at full size, proportionally less (never below `minimum`) for smaller runs."""
        return int(max(minimum, round(full * min(self.scale, 1.0))))


class BenchSectionMissing(Exception):
    """The section's module or function is not there: the section is skipped."""


@dataclass(frozen=True)
class BenchSection:
    name: str
    title: str
    run: str  # "package.module:function"
    kwargs: Callable[[BenchOptions], Mapping[str, Any]] | None = None
    order: int = 100

    def load(self) -> Callable[..., BenchResult]:
        module_name, _, function_name = self.run.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only the section's own module (or its package) missing means "not there yet";
            # a missing dependency inside it is a real error.
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                raise BenchSectionMissing(f"{module_name} does not exist (yet)") from exc
            raise
        function = getattr(module, function_name, None)
        if not callable(function):
            raise BenchSectionMissing(f"{module_name} has no function {function_name}()")
        return function  # type: ignore[no-any-return]

    def call(self, *, options: BenchOptions, progress: BenchProgress, log: BenchLog) -> BenchResult:
        function = self.load()
        arguments: dict[str, Any] = (
            dict(self.kwargs(options)) if self.kwargs is not None else {"options": options}
        )
        result = function(**arguments, progress=progress, log=log)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"{self.run} returned {type(result).__name__}, not (entries, markdown)")
        entries, markdown = result
        for entry in entries:
            missing = {"name", "value", "unit", "target", "size"} - set(entry)
            if missing:
                raise TypeError(f"{self.run}: entry {entry.get('name')!r} lacks {sorted(missing)}")
        return list(entries), str(markdown)


_sections: dict[str, BenchSection] = {}


def bench_section_register(
    *,
    name: str,
    title: str,
    run: str,
    kwargs: Callable[[BenchOptions], Mapping[str, Any]] | None = None,
    order: int = 100,
) -> None:
    """Add (or replace) a section of `warmline bench`. Sections run by `order`, then name;
    core's own section has order 0 and runs first."""
    if ":" not in run:
        raise ValueError(f"run should be 'module:function', not {run!r}")
    _sections[name] = BenchSection(name=name, title=title, run=run, kwargs=kwargs, order=order)


def bench_section_unregister(name: str) -> None:
    _sections.pop(name, None)


def bench_section_list() -> list[BenchSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))


MEASURED_UNITS = frozenset({"ms", "s", "MB"})


def bench_target_is_upper_bound(entry: Mapping[str, Any]) -> bool:
    """Times and sizes must stay below their target (p95 < 50 ms); counts (events lost,
    keys, extra queries) may reach it (lost <= 0, keys <= 2)."""
    return str(entry.get("unit")) in MEASURED_UNITS


def bench_entry_passed(entry: Mapping[str, Any]) -> bool | None:
    """The verdict of one figure: the section's own when it gives one, else against the
    target (see `bench_target_is_upper_bound`); None when there is no target."""
    if "passed" in entry:
        return bool(entry["passed"])
    target, value = entry.get("target"), entry.get("value")
    if target is None or value is None:
        return None
    if bench_target_is_upper_bound(entry):
        return float(value) < float(target)
    return float(value) <= float(target)
