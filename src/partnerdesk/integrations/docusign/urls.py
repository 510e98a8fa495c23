from __future__ import annotations

from django.urls import path

from partnerdesk.integrations.docusign import views

urlpatterns = [path("connect", views.connect_webhook, name="docusign-connect")]
