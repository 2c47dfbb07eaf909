from django.urls import path

from bureau.offboarding import views

app_name = "offboarding"
urlpatterns = [
    path("practices/<uuid:public_id>/offboarding/", views.offboarding_view, name="practice"),
    path(
        "practices/<uuid:public_id>/offboarding/progress/",
        views.offboarding_progress_view,
        name="progress",
    ),
    path(
        "practices/<uuid:public_id>/offboarding/bundle/",
        views.offboarding_bundle_view,
        name="bundle",
    ),
    path(
        "practices/<uuid:public_id>/offboarding/cancel/",
        views.offboarding_cancel_view,
        name="cancel",
    ),
    path(
        "practices/<uuid:public_id>/offboarding/retry/",
        views.offboarding_retry_view,
        name="retry",
    ),
    path(
        "practices/<uuid:public_id>/offboarding/approve/",
        views.offboarding_approve_view,
        name="approve",
    ),
    path("offboardings/", views.offboarding_list_view, name="list"),
    path(
        "offboardings/<uuid:public_id>/certificate/",
        views.offboarding_certificate_view,
        name="certificate",
    ),
    path(
        "offboardings/<uuid:public_id>/certificate.pdf",
        views.offboarding_certificate_pdf_view,
        name="certificate_pdf",
    ),
    path(
        "offboardings/<uuid:public_id>/certificate.json",
        views.offboarding_certificate_json_view,
        name="certificate_json",
    ),
]
