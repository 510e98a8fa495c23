"""The technical form, reached by a partner link without sign-in (mounted at p/tech/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from partnerdesk.technical import views

app_name = "technical"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>/", views.form_open, name="form-open"),
    path("<str:token>/form/", views.form_page, name="form"),
]
