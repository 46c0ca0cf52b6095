from django.apps import AppConfig


class CallsConfig(AppConfig):
    """C5: the call queue ("power hour"), call mode, callbacks, reconnects and notes."""

    name = "warmline.calls"
    label = "calls"
    verbose_name = "Calls"

    def ready(self) -> None:
        from warmline.alerts.outbox_hooks import OutboxHooks, outbox_hooks_register
        from warmline.calls import demo, providers, queue, services, today, watch
        from warmline.calls.models import NOTE_OUTBOX_PREFIX
        from warmline.core.bench_registry import bench_section_register
        from warmline.core.periodic import periodic_register

        providers.register_builtin()
        watch.connect()  # foundation writes that change reasons mark queue snapshots stale
        # Keep the queues of reps in call mode fresh in the worker, not in their requests.
        periodic_register(
            name="calls.queue_refresh", every_seconds=15, func=queue.queue_snapshots_refresh
        )
        today.register()
        demo.register()  # the demo company's callbacks and voicemail scripts (demo.py)
        # Notes go out through the alerts outbox; these put them on the timeline once sent.
        outbox_hooks_register(
            prefix=NOTE_OUTBOX_PREFIX,
            hooks=OutboxHooks(
                before_send=services.note_before_send, after_sent=services.note_after_sent
            ),
        )
        # warmline/calls/bench.py is imported only when the section runs (skipped if absent).
        bench_section_register(
            name="calls",
            title="Calls: queue and call mode",
            run="warmline.calls.bench:calls_bench",
            kwargs=lambda o: {
                "contacts": o.contacts,
                "book": max(20, o.contacts // 20),  # 5,000 at full size
                "requests": o.requests,
                # A real server reads the same database: not a test's, measured in place.
                "http_requests": 0 if o.in_place else min(100, o.requests),
            },
        )
