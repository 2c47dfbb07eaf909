"""Routes of the compliance program's policy pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import policy_views as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("policies/", v.policy_list_view, name="policy_list"),
    path("policies/new/", v.policy_create_view, name="policy_create"),
    path("policies/<uuid:public_id>/", v.policy_detail_view, name="policy_detail"),
    path("policies/<uuid:public_id>/publish/", v.policy_publish_view, name="policy_publish"),
    path("policies/<uuid:public_id>/review/", v.policy_review_view, name="policy_review"),
    path(
        "policies/versions/<uuid:public_id>/document/",
        v.policy_document_view,
        name="policy_document",
    ),
    path("policies/versions/<uuid:public_id>/purge/", v.policy_purge_view, name="policy_purge"),
    path("my-policies/", v.my_policies_view, name="my_policies"),
    path(
        "my-policies/<uuid:public_id>/acknowledge/",
        v.policy_attest_view,
        name="policy_attest",
    ),
]
