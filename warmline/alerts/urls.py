from django.urls import path

from warmline.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list_view, name="list"),
    path("stream", views.alert_stream, name="stream"),
    path("<uuid:alert_uuid>/", views.alert_detail, name="detail"),
    path("<uuid:alert_uuid>/ack", views.alert_ack, name="ack"),
]
