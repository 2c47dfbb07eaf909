from django.urls import path

from bureau.remittance import views

app_name = "eras"
urlpatterns = [
    path("", views.era_list_view, name="list"),
    path("upload/", views.era_upload_view, name="upload"),
    path("exceptions/", views.exception_list_view, name="exceptions"),
    path(
        "exceptions/<uuid:public_id>/resolve/",
        views.exception_resolve_view,
        name="exception_resolve",
    ),
    path(
        "exceptions/<uuid:public_id>/match/",
        views.exception_match_view,
        name="exception_match",
    ),
    path(
        "exceptions/<uuid:public_id>/match-lines/",
        views.exception_match_lines_view,
        name="exception_match_lines",
    ),
    path("jobs/<int:job_id>/", views.job_view, name="job"),
    path("jobs/<int:job_id>/retry/", views.job_retry_view, name="job_retry"),
    path("<uuid:public_id>/", views.era_detail_view, name="detail"),
    path("<uuid:public_id>/download", views.era_download_view, name="download"),
]
