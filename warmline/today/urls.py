from django.urls import path

from warmline.today import views

urlpatterns = [
    path("", views.today, name="today"),
]
