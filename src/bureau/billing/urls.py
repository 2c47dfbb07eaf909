from django.urls import path

from bureau.billing import views

app_name = "billing"
urlpatterns = [
    path("writeoffs/", views.writeoff_list_view, name="writeoffs"),
    path("writeoffs/<uuid:public_id>/", views.writeoff_detail_view, name="writeoff"),
    path(
        "writeoffs/<uuid:public_id>/approve/", views.writeoff_approve_view, name="writeoff_approve"
    ),
    path("writeoffs/<uuid:public_id>/refuse/", views.writeoff_refuse_view, name="writeoff_refuse"),
    path("claims/<uuid:public_id>/writeoff/", views.writeoff_new_view, name="writeoff_new"),
]
