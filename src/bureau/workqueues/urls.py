from django.urls import path

from bureau.workqueues import question_views, views

app_name = "workqueues"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("take-next/", views.take_next_view, name="take_next"),
    path("bulk/", views.bulk_view, name="bulk"),
    path("questions/", question_views.questions_view, name="questions"),
    path(
        "questions/<uuid:public_id>/answer/",
        question_views.question_answer_view,
        name="question_answer",
    ),
    path("<uuid:public_id>/", views.item_view, name="item"),
    path("<uuid:public_id>/claim/", views.item_claim_view, name="claim"),
    path("<uuid:public_id>/release/", views.item_release_view, name="release"),
    path("<uuid:public_id>/pend/", views.item_pend_view, name="pend"),
    path("<uuid:public_id>/assign/", views.item_assign_view, name="assign"),
    path("<uuid:public_id>/attempt/", views.item_attempt_view, name="attempt"),
    path("<uuid:public_id>/done/", views.item_done_view, name="done"),
    path("<uuid:public_id>/ask/", question_views.item_ask_view, name="ask"),
]
