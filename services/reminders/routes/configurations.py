"""/api/reminders/configurations: reminder preferences, built by the shared CRUD kit.

Staff from csr up manage every configuration and viewers read them; a customer manages only
their own customer-scope configurations, and anyone else's is a 404 to them. Every change is in
the audit log (GET /api/reminders/audit).
"""

from __future__ import annotations

from services.reminders.entities import preferences
from services.reminders.tables import CHANGE_LOG
from shared.crud_api import CrudApi, CrudModels, CrudRoles
from shared.crud_router import crud_router
from shared.identity import Role

router = crud_router(
    CrudApi(
        service="reminders",
        noun="configuration",
        plural="configurations",
        resource=preferences.RESOURCE,
        models=CrudModels(
            create=preferences.PreferenceCreate,
            update=preferences.PreferenceUpdate,
            public=preferences.PreferencePublic,
            filters=preferences.PreferenceFilters,
        ),
        changes=CHANGE_LOG,
        roles=CrudRoles(read=Role.VIEWER, write=Role.CSR, delete=Role.CSR, owner=Role.CUSTOMER),
    ),
    prefix="/api/reminders/configurations",
    tag="reminders-configurations",
)
