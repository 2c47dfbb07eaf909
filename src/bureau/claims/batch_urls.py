from django.urls import path

from bureau.claims import batch_views

app_name = "batches"
urlpatterns = [
    path("", batch_views.batch_list_view, name="list"),
    path("build/", batch_views.batch_build_view, name="build"),
    path("<uuid:public_id>/download/", batch_views.batch_download_view, name="download"),
]
