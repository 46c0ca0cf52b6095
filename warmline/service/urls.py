from django.urls import path

from warmline.service import views

urlpatterns = [
    path("cases/", views.case_list_view, name="case-list"),
    path("cases/new/", views.case_create_view, name="case-create"),
    path("cases/unassigned/", views.case_unassigned_view, name="case-unassigned"),
    path("cases/today/", views.today_cases_view, name="case-today"),
    path("cases/<int:pk>/", views.case_detail_view, name="case-detail"),
    path("cases/<int:pk>/edit/", views.case_edit_view, name="case-edit"),
    path("cases/<int:pk>/status/", views.case_status_view, name="case-status"),
    path("cases/<int:pk>/acknowledge/", views.case_acknowledge_view, name="case-acknowledge"),
    path("cases/<int:pk>/note/", views.case_note_view, name="case-note"),
    path("cases/<int:pk>/call/", views.case_call_view, name="case-call"),
    path("contacts/<int:contact_id>/cases/", views.contact_cases_view, name="contact-cases"),
]
