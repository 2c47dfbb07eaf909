from django.urls import path

from bureau.denials import appeal_views, views

app_name = "denials"
urlpatterns = [
    path("", views.denial_list_view, name="list"),
    path("categories/", views.categories_view, name="categories"),
    path("<uuid:public_id>/", views.denial_detail_view, name="detail"),
    path("<uuid:public_id>/update/", views.denial_update_view, name="update"),
    path("<uuid:public_id>/appeals/", appeal_views.appeal_create_view, name="appeal_create"),
    path("appeals/<uuid:public_id>/write/", appeal_views.appeal_write_view, name="appeal_write"),
    path("appeals/<uuid:public_id>/submit/", appeal_views.appeal_submit_view, name="appeal_submit"),
    path("appeals/<uuid:public_id>/decide/", appeal_views.appeal_decide_view, name="appeal_decide"),
    path(
        "appeals/<uuid:public_id>/letter/", appeal_views.letter_preview_view, name="appeal_letter"
    ),
    path("appeals/<uuid:public_id>/letter.pdf", appeal_views.letter_pdf_view, name="appeal_pdf"),
]
