from django.urls import path

from bureau.claims import correction_views, views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list_view, name="list"),
    path("encounters/new/", views.encounter_create_view, name="encounter_create"),
    path("<uuid:public_id>/", views.claim_detail_view, name="detail"),
    path("<uuid:public_id>/diagnoses/", views.claim_diagnoses_view, name="diagnoses"),
    path("<uuid:public_id>/reopen/", views.claim_reopen_view, name="reopen"),
    path("<uuid:public_id>/replace/", correction_views.claim_replace_view, name="replace"),
    path("<uuid:public_id>/void/", correction_views.claim_void_view, name="void"),
    path(
        "<uuid:public_id>/replacement/",
        correction_views.replacement_edit_view,
        name="replacement",
    ),
]
