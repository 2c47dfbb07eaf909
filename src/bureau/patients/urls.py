from django.urls import path

from bureau.patients import coverage_views as coverage
from bureau.patients import import_views, views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list_view, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("import/", import_views.roster_import_view, name="import"),
    path("<uuid:public_id>/", views.patient_detail_view, name="detail"),
    path("<uuid:public_id>/edit/", views.patient_edit_view, name="edit"),
    path("<uuid:public_id>/coverage/new/", coverage.coverage_new_view, name="coverage_new"),
    path("coverage/<uuid:public_id>/edit/", coverage.coverage_edit_view, name="coverage_edit"),
    path("coverage/<uuid:public_id>/end/", coverage.coverage_end_view, name="coverage_end"),
]
