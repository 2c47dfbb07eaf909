from django.urls import path

from bureau.claims import scrub_views

app_name = "scrub"
urlpatterns = [
    path("<uuid:public_id>/", scrub_views.claim_scrub_view, name="claim"),
]
