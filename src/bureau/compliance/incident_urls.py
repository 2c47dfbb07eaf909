"""Routes of the compliance program's incident pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import incident_views as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("incidents/", v.incident_list_view, name="incident_list"),
    path("incidents/new/", v.incident_new_view, name="incident_new"),
    path("incidents/<uuid:public_id>/", v.incident_detail_view, name="incident_detail"),
    path("incidents/<uuid:public_id>/timeline/", v.incident_moment_view, name="incident_moment"),
    path("incidents/<uuid:public_id>/facts/", v.incident_facts_view, name="incident_facts"),
    path("incidents/<uuid:public_id>/assessment/", v.incident_assess_view, name="incident_assess"),
    path("incidents/<uuid:public_id>/decision/", v.incident_decide_view, name="incident_decide"),
    path("incidents/<uuid:public_id>/window/", v.incident_window_view, name="incident_window"),
    path(
        "incidents/<uuid:public_id>/affected/",
        v.incident_affected_view,
        name="incident_affected",
    ),
    path(
        "incidents/<uuid:public_id>/proposal/",
        v.incident_confirm_view,
        name="incident_confirm",
    ),
]
