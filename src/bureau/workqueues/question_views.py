"""Questions to the client practice: asked from an item's page, answered in the client's
portal page (`/queue/questions/`). Thin: parse, call `questions`, render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, record_in_context, requires, requires_any
from bureau.workqueues import questions
from bureau.workqueues.services import QueueError
from bureau.workqueues.views import WORK, Done, _act


def _ask(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    questions.ask_practice(actor=actor, public_id=public_id, question=request.POST.get("question"))
    return "Asked the practice: the item waits for its answer."


@require_POST
@requires_any(*WORK)
def item_ask_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _ask)


@requires(Capability.QUESTIONS_VIEW)
def questions_view(request: HttpRequest) -> HttpResponse:
    """The practice's open questions (and those answered lately) with both clocks; a client
    viewer answers each in place."""
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.QUESTIONS_VIEW)
    rows = questions.practice_questions(
        actor=actor, practice_id=practice.pk if practice is not None else None
    )
    return render(
        request,
        "workqueues/questions.html",
        {
            "rows": rows,
            "practice": practice,
            "practices": actor.practices(Capability.QUESTIONS_VIEW),
            "open_count": sum(1 for r in rows if r.open),
            "can_answer": {p.pk for p in actor.practices(Capability.QUESTIONS_ANSWER)},
        },
    )


@require_POST
@requires(Capability.QUESTIONS_ANSWER)
def question_answer_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice_id = questions.question_practice_id(actor=actor, public_id=public_id)
    back = reverse("workqueues:questions")
    record_in_context(request, practice_id, noun="question", back=back)
    try:
        questions.answer_question(
            actor=actor, public_id=public_id, answer=request.POST.get("answer")
        )
    except QueueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Answer sent: the item is back with the billing company.")
    return redirect(back)
