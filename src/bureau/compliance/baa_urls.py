"""Routes of the BAA inventory (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import baa_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("baas/", baa_views.baa_list_view, name="baa_list"),
    path("baas/new/", baa_views.baa_record_view, name="baa_record"),
    path("baas/<uuid:public_id>/", baa_views.baa_detail_view, name="baa_detail"),
    path("baas/<uuid:public_id>/terms/", baa_views.baa_change_view, name="baa_change"),
    path("baas/<uuid:public_id>/terminate/", baa_views.baa_terminate_view, name="baa_terminate"),
    path("baas/<uuid:public_id>/flow-down/", baa_views.baa_flow_down_view, name="baa_flow_down"),
    path("baas/<uuid:public_id>/document/", baa_views.baa_upload_view, name="baa_upload"),
    path(
        "baas/<uuid:public_id>/document.pdf",
        baa_views.baa_document_view,
        name="baa_document",
    ),
]
