from django.urls import path

from warmline.people import views, views_export

urlpatterns = [
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/duplicates/", views.contact_duplicates, name="contact-duplicates"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    path("contacts/<int:pk>/log/", views.contact_log, name="contact-log"),
    path("contacts/<int:pk>/facts/", views.contact_fact_add, name="contact-fact-add"),
    path(
        "contacts/<int:pk>/facts/<int:fact_id>/delete/",
        views.contact_fact_remove,
        name="contact-fact-remove",
    ),
    path("contacts/<int:pk>/dates/", views.contact_date_add, name="contact-date-add"),
    path(
        "contacts/<int:pk>/dates/<int:date_id>/delete/",
        views.contact_date_remove,
        name="contact-date-remove",
    ),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account-edit"),
    path("export/", views_export.export_page, name="export"),
    path("export/download/", views_export.export_download, name="export-download"),
]
