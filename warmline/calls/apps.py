from django.apps import AppConfig


class CallsConfig(AppConfig):
    """C5: the call queue ("power hour"), call mode, callbacks, reconnects and notes."""

    name = "warmline.calls"
    label = "calls"
    verbose_name = "Calls"

    def ready(self) -> None:
        from warmline.alerts.outbox_hooks import OutboxHooks, outbox_hooks_register
        from warmline.calls import providers, queue, services, today
        from warmline.calls.models import NOTE_OUTBOX_PREFIX
        from warmline.core.periodic import periodic_register
        from warmline.core.registries.reasons import reasons_changed_listen
        from warmline.core.registries.touches import touch_listen

        providers.register_builtin()
        # Writes that change a reason mark the owners' queue snapshots stale: the services
        # that make them say so (reasons_changed), and a personal touch is heard here.
        reasons_changed_listen(queue.queue_snapshot_invalidate)
        touch_listen(key="calls.queue", listener=queue.queue_touches_record)
        # Keep the queues of reps in call mode fresh in the worker, not in their requests.
        periodic_register(
            name="calls.queue_refresh", every_seconds=15, func=queue.queue_snapshots_refresh
        )
        today.register()
        # Notes go out through the alerts outbox; these put them on the timeline once sent.
        outbox_hooks_register(
            prefix=NOTE_OUTBOX_PREFIX,
            hooks=OutboxHooks(
                before_send=services.note_before_send, after_sent=services.note_after_sent
            ),
        )
