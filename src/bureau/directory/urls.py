from django.urls import path

from bureau.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.provider_list_view, name="providers"),
    path("providers/new/", views.provider_create_view, name="provider_create"),
    path("payers/", views.payer_list_view, name="payers"),
    path("payers/new/", views.payer_create_view, name="payer_create"),
    path("enrollments/", views.enrollment_matrix_view, name="enrollments"),
    path("enrollments/<uuid:public_id>/", views.enrollment_edit_view, name="enrollment_edit"),
    path("fees/", views.fee_schedule_view, name="fees"),
    path("fees/import/", views.fee_schedule_upload_view, name="fees_upload"),
    path("contracts/", views.contract_rate_view, name="contracts"),
    path("contracts/import/", views.contract_rate_upload_view, name="contracts_upload"),
]
