"""Log in with the e-mail address (case-insensitive) as the user name."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if not username or not password:
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=normalise_login(username)).order_by("id").first()
        if user is None:
            user_model().set_password(password)  # same time cost as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def normalise_login(value) -> str:
    """The one form of a login name: the e-mail address stripped and lower-cased. Used before both the lockout
    (django-axes counts failures per name) and the authentication, so 'NAME@EXAMPLE', 'Name@example' and
    ' name@example ' are one account with one failure count."""
    return str(value or "").strip().lower()


def axes_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: the normalised name from the credentials, or from the POST data."""
    if credentials:
        raw = credentials.get("username") or credentials.get("email")
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        raw = data.get("username")
    return normalise_login(raw)


class LoginForm(AuthenticationForm):
    """Django's login form, with the name normalised once before authenticate() (and so before the lockout)."""

    def clean_username(self):
        return normalise_login(self.cleaned_data.get("username"))


class AdminLoginForm(AdminAuthenticationForm):
    def clean_username(self):
        return normalise_login(self.cleaned_data.get("username"))
