from django.urls import path

from warmline.calls import views

urlpatterns = [
    path("calls/", views.call_queue, name="call-queue"),
    path("calls/go/", views.call_mode, name="call-mode"),
    path("calls/log/", views.call_log, name="call-log"),
    path("calls/undo/<int:log_id>/", views.call_undo, name="call-undo"),
    path("calls/skip/", views.call_skip, name="call-skip"),
    path("calls/skip/clear/", views.call_skips_clear, name="call-skips-clear"),
    path("calls/callbacks.ics", views.callbacks_feed, name="callbacks-ics"),
    path("calls/callbacks/<int:pk>.ics", views.callback_ics, name="callback-ics"),
    path("calls/callbacks/<int:pk>/cancel/", views.callback_cancel, name="callback-cancel"),
    path("calls/cadence/<int:contact_id>/", views.cadence_update, name="call-cadence"),
    path("calls/templates/", views.templates_edit, name="call-templates"),
    path("calls/notes/", views.note_list, name="call-notes"),
    path("calls/notes/new/<int:contact_id>/", views.note_compose, name="call-note-new"),
    path("calls/notes/<int:pk>/retry/", views.note_retry, name="call-note-retry"),
]
