from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from ipfin.accounts.models import Notification, Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, permissions_of, require
from ipfin.accounts.selectors import notification_list
from ipfin.accounts.services import organisation_create

router = Router()


class MeOut(Schema):
    username: str
    organisation: str | None
    organisation_id: int | None
    # The organisation's 统一社会信用代码, so that an integrating system learns its own; null for
    # organisations without one (the IP office, regulators).
    organisation_uscc: str | None
    organisation_kind: str | None
    role: str
    permissions: list[str]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    org = user.organisation  # type: ignore[union-attr]
    return MeOut(
        username=user.get_username(),
        organisation=org.name if org else None,
        organisation_id=org.pk if org else None,
        organisation_uscc=(org.uscc or None) if org else None,
        organisation_kind=org.kind if org else None,
        role=user.role,  # type: ignore[union-attr]
        permissions=sorted(p.value for p in permissions_of(user)),
    )


class NotificationOut(Schema):
    id: int
    verb: str
    message_zh: str
    message_en: str
    object_type: str
    object_id: str
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response=list[NotificationOut])
def notifications(request: HttpRequest) -> list[Notification]:
    return notification_list(actor=request.user)


def _column_length(field: str) -> int:
    length = Organisation._meta.get_field(field).max_length
    assert length is not None
    return length


class OrganisationIn(Schema):
    # Lengths are the columns' (a longer value is a 422, not a database error on PostgreSQL); NUL
    # characters are refused for every field by the API's parser (ipfin/api.py).
    kind: OrganisationKind
    name: str = Field(..., max_length=_column_length("name"))
    uscc: str | None = None  # validated and normalised to its 18 characters by the service
    region: str = Field("", max_length=_column_length("region"))


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    uscc: str | None


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    # Registering organisations is the IP office's administration task.
    require(request.user, Perm.REGISTRY_WRITE)
    org = organisation_create(actor=request.user, **payload.dict())
    return Status(201, org)
