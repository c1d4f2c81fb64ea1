"""User accounts in the admin: deleting a person never leaves an organisation without its last administration or
its last signatory, and every deletion enters the organisations' audit trails (accounts.services.user_delete).

Django's delete confirmation (single and "delete selected") lists the reasons as protected objects and offers no
confirm button; the delete hooks call the service, which checks again under lock.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from applications.accounts.services import AccountError, user_delete, user_delete_problems
from wir_portal.forms import AdminInputMixin

User = get_user_model()


class WirUserAdmin(AdminInputMixin, UserAdmin):
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        problems = user_delete_problems(users=list(objs))
        return deleted, counts, perms_needed, [*protected, *problems]

    def delete_model(self, request, obj):
        user_delete(users=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        user_delete(users=queryset, user=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except AccountError as exc:  # lost a race with another change: say why, delete nothing
            self.message_user(request, str(exc), messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)

# Registered by accounts/mfa/admin.py, whose user admin adds the second factor to this one.
