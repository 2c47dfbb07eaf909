from django.urls import path

from bureau.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list_view, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("<uuid:public_id>/", views.patient_detail_view, name="detail"),
    path("<uuid:public_id>/edit/", views.patient_edit_view, name="edit"),
]
