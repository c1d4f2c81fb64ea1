"""Log in with the e-mail address (case-insensitive) as the user name."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if not username or not password:
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=username.strip()).order_by("id").first()
        if user is None:
            user_model().set_password(password)  # same time cost as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
