from django.urls import include, path

urlpatterns = [
    path("", include("bureau.web.urls")),
    path("accounts/", include("bureau.accounts.urls")),
    path("patients/", include("bureau.patients.urls")),
    path("claims/", include("bureau.claims.urls")),
    path("scrub/", include("bureau.claims.scrub_urls")),
    path("audit/", include("bureau.audit.urls")),
    path("setup/", include("bureau.directory.urls")),
    path("setup/", include("bureau.offboarding.urls")),
    path("settings/", include("bureau.configuration.urls")),
    path("batches/", include("bureau.claims.batch_urls")),
    path("eras/", include("bureau.remittance.urls")),
    path("denials/", include("bureau.denials.urls")),
    path("queue/", include("bureau.workqueues.urls")),
    path("billing/", include("bureau.billing.urls")),
    path("reports/", include("bureau.reports.urls")),
    path("compliance/", include("bureau.compliance.urls")),
]

handler400 = "bureau.web.errors.bad_request"
handler404 = "bureau.web.errors.not_found"
handler500 = "bureau.web.errors.server_error"
