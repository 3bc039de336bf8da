"""Role verbs: services ask ``require(user, perm)`` and get NotPermitted (403) if the role lacks it."""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from quota_portal.errors import NotPermitted

from .selectors import membership_of


def require(user, perm: str, obj=None) -> None:
    if user is None or not user.is_authenticated or membership_of(user) is None:
        raise NotPermitted(_("You need an organisation membership to do this."))
    if not user.has_perm(perm, obj):
        raise NotPermitted()


class HasMembership(BasePermission):
    """API users must belong to an organisation (support staff without one see nothing)."""

    message = "You need an organisation membership to use the API."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and membership_of(request.user))
