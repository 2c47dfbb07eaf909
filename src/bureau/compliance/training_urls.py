"""Routes of the compliance program's training pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
