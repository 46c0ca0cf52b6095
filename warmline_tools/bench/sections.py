"""The sections of `warmline bench`, in the order they run. Each module is imported only
when its section runs, so `warmline demo` does not load benchmark code."""

from __future__ import annotations

from warmline_tools.bench.registry import bench_section_register


def sections_register() -> None:
    bench_section_register(
        name="core",
        title="Search, contact page and Today",
        run="warmline_tools.bench.core:core_bench_section",
        order=0,
    )
    bench_section_register(
        name="alerts",
        title="Live alerts: question to the rep's open tabs (SSE)",
        run="warmline_tools.bench.alerts:sse_bench_section",
    )
    bench_section_register(
        name="calls",
        title="Calls: queue and call mode",
        run="warmline_tools.bench.calls:calls_bench",
        kwargs=lambda o: {
            "contacts": o.contacts,
            "book": max(20, o.contacts // 20),  # 5,000 at full size
            "requests": o.requests,
            # The next card right after a reason change (100 at full size).
            "cold_requests": max(3, o.requests // 2),
            # A real server reads the same database: skipped where it cannot (a test's
            # transaction, in-memory SQLite).
            "http_requests": o.requests,
        },
    )
    bench_section_register(
        name="service",
        title="Service cases: SLA scheduler and Today",
        run="warmline_tools.bench.service:service_bench_section",
    )
    bench_section_register(
        name="export",
        title="Export round trip into a new database",
        run="warmline_tools.bench.export:export_bench_section",
        # Right after core: the company as the demo generator writes it (every invariant the
        # services keep), before other sections add their own bulk-written rows.
        order=1,
    )
