"""Routes of the compliance program's screening pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
