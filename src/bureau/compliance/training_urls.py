"""Routes of the compliance program's training pages (joined under /compliance/ by urls.py)."""

from django.urls import URLPattern, URLResolver, path

from bureau.compliance import training_views as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("training/", v.training_view, name="training"),
    path("training/courses/new/", v.course_create_view, name="course_create"),
    path("training/courses/<uuid:public_id>/edit/", v.course_edit_view, name="course_edit"),
    path("training/people/<uuid:public_id>/", v.training_person_view, name="training_person"),
    path("training/completions/new/", v.completion_create_view, name="completion_create"),
    path(
        "training/completions/<uuid:public_id>/certificate/",
        v.certificate_view,
        name="training_certificate",
    ),
    path("my-training/", v.my_training_view, name="my_training"),
]
