from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import assets, views
from config.api import router
from portal import views_audit

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", views_audit.audit_list, name="audit-list"),
    path("audit/export.csv", views_audit.audit_export, {"fmt": "csv"}, name="audit-export-csv"),
    path("audit/export.jsonl", views_audit.audit_export, {"fmt": "jsonl"}, name="audit-export-jsonl"),
    path("tokens/", include("rbac.urls_tokens")),
    path("clusters/", include("clusters.urls")),
    path("hosts/", include("hosts.urls")),
    path("jobs/", include("jobs.urls")),
    path("teams/", include("rbac.urls")),
    path("rbac/", include("rbac.urls_access")),
    path("workloads/", include("workloads.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", assets.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/redoc/redoc.standalone.js", assets.redoc_bundle, name="api-redoc-bundle"),
    path("favicon.ico", assets.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
