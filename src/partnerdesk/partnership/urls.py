"""Partner-facing pages of the partner phase (signed, expiring links; no sign-in)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from partnerdesk.partnership import views

app_name = "partnership"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>/<int:rating>/", views.check_in, name="check-in"),
]
