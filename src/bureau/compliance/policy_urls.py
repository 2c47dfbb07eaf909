"""Routes of the compliance program's policy pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
