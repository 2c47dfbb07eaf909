"""The compliance program's pages, under /compliance/: one route module per part of the program,
so each part changes on its own."""

from django.urls import URLPattern, URLResolver

from bureau.compliance import (
    access_review_urls,
    baa_urls,
    incident_urls,
    policy_urls,
    program_urls,
    screening_urls,
    training_urls,
)

app_name = "compliance"
urlpatterns: list[URLPattern | URLResolver] = [
    *program_urls.urlpatterns,
    *baa_urls.urlpatterns,
    *incident_urls.urlpatterns,
    *screening_urls.urlpatterns,
    *training_urls.urlpatterns,
    *policy_urls.urlpatterns,
    *access_review_urls.urlpatterns,
]
