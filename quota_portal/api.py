"""The /api/v1/ router: organizations' viewsets here, each higher app's ``register(router)`` in dependency order."""

from rest_framework.routers import DefaultRouter

from allocations import api as allocations_api
from enforcement import api as enforcement_api
from organizations import register_api
from organizations.api import AuditEntryViewSet, AuthorityViewSet, EnterpriseViewSet
from reporting import annual_api as reporting_annual_api
from reporting import api as reporting_api

router = DefaultRouter()
router.register("authorities", AuthorityViewSet, basename="authority")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("audit", AuditEntryViewSet, basename="audit")
register_api.register(router)

allocations_api.register(router)
reporting_api.register(router)
reporting_annual_api.register(router)
enforcement_api.register(router)
