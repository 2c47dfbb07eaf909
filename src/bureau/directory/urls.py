from django.urls import path

from bureau.directory import (
    enrollment_views,
    facility_views,
    payer_views,
    practice_views,
    provider_views,
    setup_views,
    views,
)

app_name = "directory"
urlpatterns = [
    path("", provider_views.provider_list_view, name="providers"),
    path("providers/new/", provider_views.provider_create_view, name="provider_create"),
    path(
        "providers/<uuid:public_id>/edit/",
        provider_views.provider_edit_view,
        name="provider_edit",
    ),
    path(
        "providers/<uuid:public_id>/active/",
        provider_views.provider_active_view,
        name="provider_active",
    ),
    path("facilities/", facility_views.facility_list_view, name="facilities"),
    path("facilities/new/", facility_views.facility_create_view, name="facility_create"),
    path("facilities/<uuid:public_id>/", facility_views.facility_edit_view, name="facility_edit"),
    path(
        "facilities/<uuid:public_id>/active/",
        facility_views.facility_active_view,
        name="facility_active",
    ),
    path("practices/", practice_views.practice_list_view, name="practices"),
    path("practices/new/", practice_views.practice_create_view, name="practice_create"),
    path("practices/<uuid:public_id>/", practice_views.practice_detail_view, name="practice"),
    path(
        "practices/<uuid:public_id>/edit/", practice_views.practice_edit_view, name="practice_edit"
    ),
    path(
        "practices/<uuid:public_id>/status/",
        practice_views.practice_status_view,
        name="practice_status",
    ),
    path(
        "practices/<uuid:public_id>/setup/export/",
        setup_views.practice_setup_export_view,
        name="practice_setup_export",
    ),
    path(
        "practices/<uuid:public_id>/setup/import/",
        setup_views.practice_setup_import_view,
        name="practice_setup_import",
    ),
    path(
        "practices/<uuid:public_id>/setup/copy/",
        setup_views.practice_setup_copy_view,
        name="practice_setup_copy",
    ),
    path("payers/", payer_views.payer_list_view, name="payers"),
    path("payers/new/", payer_views.payer_create_view, name="payer_create"),
    path("payers/<uuid:public_id>/", payer_views.payer_edit_view, name="payer_edit"),
    path("payers/<uuid:public_id>/active/", payer_views.payer_active_view, name="payer_active"),
    path("enrollments/", enrollment_views.enrollment_matrix_view, name="enrollments"),
    path("enrollments/new/", enrollment_views.enrollment_create_view, name="enrollment_create"),
    path(
        "enrollments/<uuid:public_id>/",
        enrollment_views.enrollment_edit_view,
        name="enrollment_edit",
    ),
    path("fees/", views.fee_schedule_view, name="fees"),
    path("fees/import/", views.fee_schedule_upload_view, name="fees_upload"),
    path("contracts/", views.contract_rate_view, name="contracts"),
    path("contracts/import/", views.contract_rate_upload_view, name="contracts_upload"),
]
