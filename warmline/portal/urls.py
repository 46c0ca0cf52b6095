"""The public site, mounted at /site/ (no login)."""

from django.urls import path

from warmline.portal import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("products/", views.product_list, name="portal-products"),
    path("products/<slug:slug>/", views.product_detail, name="portal-product"),
    path("news/", views.news_list, name="portal-news"),
    path("news/<slug:slug>/", views.news_detail, name="portal-news-detail"),
    path("identify/", views.identify, name="portal-identify"),
    path("m/<str:token>/", views.magic, name="portal-magic"),
    path("forget/", views.forget, name="portal-forget"),
    path("ask/", views.ask, name="portal-ask"),
    path("ask/sent/<uuid:uuid>/", views.ask_sent, name="portal-ask-sent"),
]
