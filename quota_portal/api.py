"""The /api/v1/ router: each app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from organizations.api import AuditEntryViewSet, AuthorityViewSet, EnterpriseViewSet

router = DefaultRouter()
router.register("authorities", AuthorityViewSet, basename="authority")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("audit", AuditEntryViewSet, basename="audit")

# Higher apps append their routes in their own api modules, imported here in dependency order.
for _module in ("allocations.api", "reporting.api", "reporting.annual_api", "enforcement.api"):
    try:
        _mod = __import__(_module, fromlist=["register"])
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
        continue
    if hasattr(_mod, "register"):
        _mod.register(router)
