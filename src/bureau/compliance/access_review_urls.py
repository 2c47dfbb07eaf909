"""Routes of the compliance program's access review pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import access_review_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("access-reviews/", views.review_list_view, name="review_list"),
    path("access-reviews/start/", views.review_start_view, name="review_start"),
    path("access-reviews/<uuid:public_id>/", views.review_detail_view, name="review_detail"),
    path("access-reviews/<uuid:public_id>/decide/", views.review_decide_view, name="review_decide"),
    path(
        "access-reviews/<uuid:public_id>/confirm-rest/",
        views.review_confirm_rest_view,
        name="review_confirm_rest",
    ),
    path("access-reviews/<uuid:public_id>/lock/", views.review_lock_view, name="review_lock"),
    path(
        "access-reviews/<uuid:public_id>/evidence.zip",
        views.review_evidence_view,
        name="review_evidence",
    ),
]
