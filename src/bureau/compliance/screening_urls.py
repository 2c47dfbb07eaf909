"""Routes of the compliance program's screening pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import screening_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("screening/", views.screening_view, name="screening"),
    path("screening/import/", views.screening_import_view, name="screening_import"),
    path("screening/run/", views.screening_run_now_view, name="screening_run_now"),
    path("screening/runs/<uuid:public_id>/", views.screening_run_view, name="screening_run"),
    path(
        "screening/runs/<uuid:public_id>/export.csv",
        views.screening_run_csv_view,
        name="screening_run_csv",
    ),
    path("screening/hits/<uuid:public_id>/", views.screening_hit_view, name="screening_hit"),
    path(
        "screening/hits/<uuid:public_id>/resolve/",
        views.screening_hit_resolve_view,
        name="screening_hit_resolve",
    ),
]
