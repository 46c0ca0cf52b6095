"""Case ingestion and reads over the JSON API (mounted at /api/service by the api app).

* ``POST /api/service/cases`` — create a case, or create-or-update it by
  (external_system, external_id). Strict: unknown fields are errors.
* ``POST /api/service/webhook`` — the service desk's webhook. Same fields; external_id
  required; unknown fields ignored (desks send more than we need); answers 200 for
  anything accepted, including repeats ("unchanged") and out-of-order updates ("stale"),
  so desks do not retry them.
* ``GET /api/service/cases`` and ``GET /api/service/cases/{id}`` — the acting user's
  visible cases.

Repeating a payload changes nothing; an update whose `updated_at` is older than the
newest applied is ignored. Invalid payloads answer 422 with field errors and write
nothing.
"""

import datetime as dt
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthorizationError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import AwareDatetime, ConfigDict, field_validator

from warmline.core.registries.api_scopes import scope_require
from warmline.people.services import email_normalize
from warmline.service.models import Case
from warmline.service.selectors import CaseFilters, case_get, case_list
from warmline.service.services import CaseUpsert, UpsertResult, case_can_edit, case_upsert
from warmline.timeline.models import Source
from warmline.users.models import User

router = Router()

PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal["open", "pending_customer", "resolved", "closed"]
ChannelName = Literal["phone", "email", "web", "chat", "portal", "other"]
StatusFilter = Literal["unresolved", "any", "open", "pending_customer", "resolved", "closed"]
PriorityFilter = Literal["", "low", "normal", "high", "urgent"]

READ = "service:read"
WRITE = "service:write"
# A desk's clock may run a little ahead of ours; further ahead is a wrong time, and a wrong
# updated_at far in the future would make every later (real) update look stale.
CLOCK_SLACK = dt.timedelta(minutes=5)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _CaseFields(Schema):
    external_system: str = Field("", max_length=50, description="Which service desk.")
    contact_email: str = Field(
        "",
        max_length=254,
        description="The customer. Unknown addresses create the contact under the account "
        "whose domain matches (or unassigned).",
    )
    contact_name: str = Field("", max_length=200, description="Used only for a new contact.")
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    priority: PriorityName = "normal"
    status: StatusName = "open"
    channel: ChannelName = "other"
    opened_at: AwareDatetime | None = None
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = Field(
        None, description="The desk's last-modified time; older updates are ignored."
    )
    assigned_agent_email: str = Field("", max_length=254)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store U+0000 in text; refuse it as a field error, not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text may not contain NUL (U+0000) characters.")
        return value

    @field_validator("opened_at", "first_response_at", "resolved_at", "updated_at")
    @classmethod
    def _plausible_time(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Refused with 422 (and kept in the rejected-requests log), so the desk retries with
        # a corrected time instead of an update being dropped as "stale" for ever.
        if value is None:
            return value
        if value < EPOCH:
            raise ValueError("The time is before 1970: send the real time of the change.")
        if value > dt.datetime.now(dt.UTC) + CLOCK_SLACK:
            raise ValueError(
                "The time is in the future (more than 5 minutes ahead of Warmline's clock): "
                "send the real time of the change."
            )
        return value

    @field_validator("contact_email", "assigned_agent_email", mode="after")
    @classmethod
    def _email_form(cls, value: str) -> str:
        # Checked here, not only by the service, so it comes back with the other field errors.
        if value.strip() and "\x00" not in value:
            try:
                email_normalize(value)
            except DjangoValidationError as exc:
                raise ValueError(" ".join(exc.messages)) from exc
        return value


class CaseIn(_CaseFields):
    model_config = ConfigDict(extra="forbid")
    external_id: str = Field(
        "", max_length=200, description="The desk's id; with it the call is an upsert."
    )


class WebhookCaseIn(_CaseFields):
    model_config = ConfigDict(extra="ignore")
    external_id: str = Field(..., min_length=1, max_length=200)


class ContactRefOut(Schema):
    id: int
    name: str
    email: str


class AccountRefOut(Schema):
    id: int
    name: str


class SlaOut(Schema):
    policy: str | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    breach_at: dt.datetime | None
    next_step_due_at: dt.datetime | None
    paused: bool


class CaseOut(Schema):
    id: int
    url: str
    external_system: str
    external_id: str
    subject: str
    description: str
    priority: str
    status: str
    channel: str
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    updated_at: dt.datetime
    contact: ContactRefOut
    account: AccountRefOut | None
    assigned_agent_email: str
    acknowledged_at: dt.datetime | None
    sla: SlaOut

    @staticmethod
    def resolve_url(obj: Case) -> str:
        return f"{settings.SITE_URL}{obj.get_absolute_url()}"

    @staticmethod
    def resolve_contact(obj: Case) -> dict[str, object]:
        return {"id": obj.contact.pk, "name": obj.contact.full_name, "email": obj.contact.email}

    @staticmethod
    def resolve_account(obj: Case) -> dict[str, object] | None:
        if not obj.account_id or obj.account is None:
            return None
        return {"id": obj.account.pk, "name": obj.account.name}

    @staticmethod
    def resolve_assigned_agent_email(obj: Case) -> str:
        return obj.assigned_agent.email if obj.assigned_agent else ""

    @staticmethod
    def resolve_sla(obj: Case) -> dict[str, object]:
        return {
            "policy": obj.sla_policy.name if obj.sla_policy else None,
            "first_response_due_at": obj.first_response_due_at,
            "resolution_due_at": obj.resolution_due_at,
            "breach_at": obj.breach_at,
            "next_step_due_at": obj.next_step_due_at,
            "paused": obj.is_paused,
        }


class CaseUpsertOut(Schema):
    result: Literal["created", "updated", "unchanged", "stale"]
    contact_created: bool
    case: CaseOut


class WebhookOut(Schema):
    result: Literal["created", "updated", "unchanged", "stale"]
    case_id: int


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}


def _writer(request: HttpRequest) -> User:
    user = scope_require(request, WRITE)
    if not case_can_edit(user=user):
        raise AuthorizationError(
            message="The token's owner may not record cases (needs the agent or admin role)."
        )
    return user


def _upsert(payload: _CaseFields, external_id: str, system: str) -> CaseUpsert:
    present = frozenset(payload.model_fields_set) | {"external_id"}
    return CaseUpsert(
        external_system=system,
        external_id=external_id.strip(),
        contact_email=payload.contact_email,
        contact_name=payload.contact_name,
        subject=payload.subject,
        description=payload.description,
        priority=payload.priority,
        status=payload.status,
        channel=payload.channel,
        opened_at=payload.opened_at,
        first_response_at=payload.first_response_at,
        resolved_at=payload.resolved_at,
        updated_at=payload.updated_at,
        assigned_agent_email=payload.assigned_agent_email,
        present=present,
    )


def _reloaded(result: UpsertResult) -> Case:
    return Case.objects.select_related(
        "contact", "account", "assigned_agent", "sla_policy", "contact__owner"
    ).get(pk=result.case.pk)


@router.post(
    "/cases",
    response={200: CaseUpsertOut, 201: CaseUpsertOut, **ERRORS},
    summary="Create a case, or create-or-update it by external id",
)
def case_post(request: HttpRequest, payload: CaseIn) -> Status[dict[str, object]]:
    user = _writer(request)
    system = payload.external_system.strip() if payload.external_id.strip() else ""
    result = case_upsert(
        payload=_upsert(payload, payload.external_id, system), actor=user, source=Source.API
    )
    body = {
        "result": result.result,
        "contact_created": result.contact_created,
        "case": _reloaded(result),
    }
    return Status(201 if result.result == "created" else 200, body)


@router.post(
    "/webhook",
    response={200: WebhookOut, **ERRORS},
    summary="Service desk webhook: create or update a case by external id",
)
def case_webhook(request: HttpRequest, payload: WebhookCaseIn) -> WebhookOut:
    user = _writer(request)
    system = payload.external_system.strip() or settings.SERVICE_WEBHOOK_SYSTEM
    result = case_upsert(
        payload=_upsert(payload, payload.external_id, system),
        actor=user,
        source=Source.SERVICE_DESK,
    )
    return WebhookOut(result=result.result, case_id=result.case.pk)  # type: ignore[arg-type]


@router.get("/cases", response={200: list[CaseOut], **ERRORS}, summary="List visible cases")
@paginate(LimitOffsetPagination)
def case_index(
    request: HttpRequest,
    status: StatusFilter = "unresolved",
    priority: PriorityFilter = "",
    q: str = "",
) -> "QuerySet[Case]":
    """Unresolved cases by default (most overdue first); `status=any` for all."""
    user = scope_require(request, READ)
    filters = CaseFilters(status="" if status == "any" else status, priority=priority, q=q[:100])
    return case_list(user=user, filters=filters).select_related("sla_policy")


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, summary="One case")
def case_detail(request: HttpRequest, case_id: int) -> Case:
    user = scope_require(request, READ)
    return case_get(user=user, case_id=case_id)
