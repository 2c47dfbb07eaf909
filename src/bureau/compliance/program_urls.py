"""Routes of the compliance program's program pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import practice_views, program_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", program_views.dashboard_view, name="dashboard"),
    path("my-practice/", practice_views.my_practice_view, name="my_practice"),
]
