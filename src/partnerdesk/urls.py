from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partnerdesk.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="partnerdesk/login.html"), name="login"),
    path("login/token/<str:token>/", views.login_with_token, name="login-token"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("hooks/", include("partnerdesk.inbound.urls")),
]
