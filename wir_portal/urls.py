from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from applications.accounts.auth import AdminLoginForm, LoginForm
from applications.accounts.views import ThrottledPasswordResetView

from . import views

admin.site.site_header = "WIR-Portal – Verwaltung"
admin.site.site_title = "WIR-Portal"
admin.site.index_title = "Landesprogramm WIR – Sachbearbeitung, Bewilligung, Haushalt"
admin.site.login_form = AdminLoginForm  # login name normalised before the lockout counts it (issue 16)

pages = (
    [
        path("impressum/", TemplateView.as_view(template_name="pages/impressum.html"), name="impressum"),
        path("datenschutz/", TemplateView.as_view(template_name="pages/datenschutz.html"), name="datenschutz"),
        path("barrierefreiheit/", TemplateView.as_view(template_name="pages/barrierefreiheit.html"), name="barrierefreiheit"),
        path("leichte-sprache/", TemplateView.as_view(template_name="pages/leichte_sprache.html"),
             name="leichte-sprache"),
    ],
    "pages",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    # password reset with a rate limit (applications.accounts.views); the other auth views are Django's own
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("applications.urls")),
    path("berichte/", include("reports.urls")),
    path("konto/sicherheit/", include("applications.accounts.mfa.urls")),  # second factor
    path("konto/sicherheit/passkey/", include("applications.accounts.mfa.urls_webauthn")),
    path("", include(pages)),
]

if settings.WIR_BENCHMARK:  # the benchmark's floor page; settings refuse WIR_BENCHMARK in production
    urlpatterns.insert(0, path("", include("wir_portal.bench.urls")))
