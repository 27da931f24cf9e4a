"""`make demo` relies on load_demo: it must load real patents plus generated parties, leave pledges
in every state, and give the printed logins working passwords."""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from ipfin.accounts.domain import validate_uscc
from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.demo.loader import DEMO_PASSWORD
from ipfin.pledges.domain import PledgeState
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_decide
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_prints_the_logins_and_they_work(demo_output):
    logins = (
        "bank_a", "bank_b", "examiner", "examiner_b", "office_admin", "enterprise_a", "regulator",
        "park",
    )  # fmt: skip
    for username in logins:
        assert username in demo_output
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    assert DEMO_PASSWORD in demo_output


def test_demo_has_pledges_in_every_state_through_the_services(demo_output):
    states = set(Pledge.objects.values_list("state", flat=True))
    assert states >= {
        PledgeState.AWAITING_CONFIRMATION,
        PledgeState.SUBMITTED,
        PledgeState.CORRECTION_REQUESTED,
        PledgeState.REGISTERED,
        PledgeState.REJECTED,
        PledgeState.RELEASED,
    }
    # written through the services: every pledge has its audit trail
    for pledge in Pledge.objects.all():
        assert AuditRecord.objects.filter(
            object_type="pledges.pledge", object_id=str(pledge.pk)
        ).exists()


def test_demo_pledges_carry_their_contract_except_the_one_awaiting_it(demo_output):
    # Every pledge the examiner registered rests on a stored contract PDF with its SHA-256.
    decided = Pledge.objects.exclude(registration_no=None)
    assert decided.count() >= 3
    for pledge in decided:
        document = pledge.documents.get(kind="contract")
        content = document.file.read()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == document.sha256
        assert document.uploaded_at <= timezone.make_aware(
            datetime.combine(pledge.effective_date, time.max)
        )
    # One application in the queue still lacks its contract: approval is not possible yet.
    waiting = Pledge.objects.filter(state=PledgeState.SUBMITTED, documents=None)
    assert waiting.count() == 1
    examiner = User.objects.get(username="examiner")
    with pytest.raises(ValidationFailed) as exc:
        pledge_decide(actor=examiner, pledge=waiting.get(), decision="approve")
    assert exc.value.code == "contract_missing"


def test_demo_loads_the_real_patents(shared_data, demo_output):
    # the 199 CNIPR utility models are real rows from ../shared/data
    assert Right.objects.filter(source__contains="cnipr_export_199").count() == 199
    assert Right.objects.filter(number="201220249767.4").exists()


def test_demo_has_the_troubled_rights_the_prechecks_catch(demo_output):
    today = timezone.localdate()
    statuses = {right_status(r, on=today).status for r in Right.objects.filter(source="demo")}
    assert {"in_force", "grace_period", "pending"} <= {str(s) for s in statuses}
    for org in Organisation.objects.exclude(uscc=None):
        assert validate_uscc(org.uscc) == org.uscc


def test_demo_second_run_adds_nothing(demo_output):
    counts = (Right.objects.count(), Pledge.objects.count(), Organisation.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert counts == (Right.objects.count(), Pledge.objects.count(), Organisation.objects.count())


def test_demo_parties_are_registered_through_the_services(shared_data, demo_output):
    # Every organisation and every login of the demo has its audit record (written by
    # organisation_create / user_create, never by the model directly).
    for model, action in ((Organisation, "organisation.create"), (User, "user.create")):
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        audited = set(AuditRecord.objects.filter(action=action).values_list("object_id", flat=True))
        assert ids and ids == audited
    # The real applicant's owner rows were linked by the office (owners_link), not by an update.
    (link,) = AuditRecord.objects.filter(action="right_owner.link")
    assert link.after["name"] == "中科大数据研究院" and link.after["owner_rows"] > 0
    assert Right.objects.filter(owners__organisation_id=int(link.object_id)).exists()


def test_demo_has_a_white_list_pushed_to_bank_a(demo_output):
    from ipfin.whitelist.models import WhitelistBatch

    bank_a = User.objects.get(username="bank_a").organisation
    published = WhitelistBatch.objects.exclude(published_at=None)
    assert published.count() == 1
    assert list(published.get().pushes.values_list("bank", flat=True)) == [bank_a.pk]
    assert WhitelistBatch.objects.filter(published_at=None).count() == 1
    assert "白名单批次 / white-list batches: 2" in demo_output
