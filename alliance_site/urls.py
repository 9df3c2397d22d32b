from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinicians.forms import EmailAuthenticationForm, StaffPasswordResetForm

from . import health, metrics, sessions, views

admin.site.site_header = "Alliance operator admin"


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A reset link opens only for an account that has chosen a password: someone
    invited who never accepted uses the invitation (its expiry, its audit line)."""

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.has_usable_password() else None


auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The sign-out warning: GET asks how long is left, POST is "Stay signed in".
    path("session/keep/", sessions.session_keep, name="session_keep"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=StaffPasswordResetForm,
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        StaffPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("jsi18n/<str:language>/", views.javascript_catalog, name="javascript_catalog"),
    path("accounts/", include(auth_patterns)),
    path("", include("assessments.urls")),
    path("", include("clinicians.urls")),
    path("", include("integrations.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "alliance_site.views.error_400"
handler403 = "alliance_site.views.error_403"
handler404 = "alliance_site.views.error_404"
handler500 = "alliance_site.views.error_500"
