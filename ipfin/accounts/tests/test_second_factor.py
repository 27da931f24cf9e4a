"""The optional second factor (TOTP, RFC 6238, with recovery codes) for bank and office staff:
off unless an organisation turns it on; the rules in ipfin.accounts.totp, the login's second step
and the account security page over real HTTP."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import LoginAttempt, LoginOutcome, Organisation, Role, TotpDevice, User
from ipfin.accounts.services import (
    organisation_second_factor_set,
    second_factor_check,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from ipfin.accounts.totp import (
    RECOVERY_CODE_COUNT,
    new_recovery_codes,
    new_totp_secret,
    recovery_code_hash,
    totp_code,
    totp_matching_step,
    totp_step,
)
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.common.tests.concurrency import all_at_once

RIGHT = "pw-for-tests-1"
# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" (ASCII) and its 8-digit codes; a
# 6-digit code is the last six digits (RFC 4226 §5.3: the value mod 10^6).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_totp_codes_are_rfc_6238_appendix_b_test_vectors(unix_time: int, eight_digits: str) -> None:
    at = datetime.fromtimestamp(unix_time, UTC)
    assert totp_code(RFC_SECRET, totp_step(at)) == eight_digits[-6:]


def test_a_code_of_one_step_before_or_after_is_accepted_two_steps_are_not() -> None:
    secret, at = new_totp_secret(), datetime(2026, 12, 4, 8, 0, 15, tzinfo=UTC)
    now = totp_step(at)
    for step in (now - 1, now, now + 1):
        assert totp_matching_step(secret, totp_code(secret, step), at, after_step=0) == step
    for step in (now - 2, now + 2):
        code = totp_code(secret, step)
        if code not in {totp_code(secret, s) for s in (now - 1, now, now + 1)}:
            assert totp_matching_step(secret, code, at, after_step=0) is None


def test_rfc_6238_5_2_a_code_is_not_accepted_again_for_a_step_already_used() -> None:
    secret, at = new_totp_secret(), datetime(2026, 12, 4, 8, 0, 15, tzinfo=UTC)
    now = totp_step(at)
    code = totp_code(secret, now)
    assert totp_matching_step(secret, code, at, after_step=now - 1) == now
    assert totp_matching_step(secret, code, at, after_step=now) is None


def test_codes_are_read_with_the_spaces_apps_show_and_nothing_else_passes() -> None:
    secret, at = new_totp_secret(), datetime(2026, 12, 4, 8, 0, 15, tzinfo=UTC)
    code = totp_code(secret, totp_step(at))
    assert totp_matching_step(secret, f"{code[:3]} {code[3:]}", at, after_step=0) is not None
    for wrong in ("", "12345", "1234567", "abcdef", "１２３４５６", code + "0"):
        assert totp_matching_step(secret, wrong, at, after_step=0) is None


@given(st.integers(min_value=1, max_value=8_000_000_000 // 30))  # up to the year 2223
def test_every_step_accepts_its_own_code(step: int) -> None:
    at = datetime.fromtimestamp(step * 30 + 7, UTC)
    assert totp_matching_step(RFC_SECRET, totp_code(RFC_SECRET, step), at, after_step=0) == step


def test_recovery_codes_are_ten_distinct_and_read_without_dash_or_case() -> None:
    codes = new_recovery_codes()
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    code = codes[0]
    assert len(code) == 11 and code[5] == "-"
    typed = code.replace("-", "").upper()
    assert recovery_code_hash(7, typed) == recovery_code_hash(7, code)
    assert recovery_code_hash(8, code) != recovery_code_hash(7, code)  # salted per user


# --- helpers over real HTTP -------------------------------------------------------------------


def _current_code(user: User, offset: int = 0) -> str:
    device = TotpDevice.objects.get(user=user)
    return totp_code(device.secret, totp_step(datetime.now(UTC)) + offset)


def _password(client: Client, username: str) -> Any:
    return client.post("/login/", {"username": username, "password": RIGHT})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _enrolled(user: User) -> list[str]:
    totp_enrolment_start(user=user)
    return totp_enrolment_confirm(user=user, code=_current_code(user))


@pytest.fixture
def bank_admin(make_user: Callable[..., User], bank_a: Organisation) -> User:
    return make_user("bank_admin", bank_a, Role.ADMIN)


@pytest.fixture
def required(bank_a: Organisation) -> Organisation:
    return organisation_second_factor_set(actor=None, organisation=bank_a, required=True)


# --- the login -------------------------------------------------------------------------------


def test_off_by_default_a_login_needs_only_the_password(bank_a_user: User) -> None:
    client = Client()
    response = _password(client, "bank_a")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _logged_in(client)


def test_an_organisation_that_requires_it_has_its_user_set_up_an_app_at_the_next_login(
    bank_a_user: User, required: Organisation
) -> None:
    client = Client()
    response = _password(client, "bank_a")
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert not _logged_in(client)  # the password alone logs nobody in
    assert client.get("/loans/").status_code == 302

    setup = client.get("/login/verify/")
    assert setup.status_code == 200
    page = setup.content.decode()
    assert 'data-testid="totp-qr"' in page and "<svg" in page
    secret = TotpDevice.objects.get(user=bank_a_user).secret
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page

    right = _current_code(bank_a_user)
    wrong = client.post("/login/verify/", {"code": "000000" if right != "000000" else "111111"})
    assert wrong.status_code == 422
    assert "验证码不正确" in wrong.content.decode()
    assert not _logged_in(client)

    done = client.post("/login/verify/", {"code": _current_code(bank_a_user)})
    assert done.status_code == 200
    assert done.content.decode().count("<li><code>") == RECOVERY_CODE_COUNT
    assert _logged_in(client)
    assert TotpDevice.objects.get(user=bank_a_user).confirmed_at is not None
    assert AuditRecord.objects.filter(action="second_factor.enable").count() == 1


def test_an_enrolled_user_logs_in_with_a_code_which_cannot_be_replayed(
    bank_a_user: User, required: Organisation
) -> None:
    _enrolled(bank_a_user)  # used the current step's code
    client = Client()
    _password(client, "bank_a")
    replay = client.post("/login/verify/", {"code": _current_code(bank_a_user)})
    assert replay.status_code == 422 and not _logged_in(client)
    fresh = client.post("/login/verify/", {"code": _current_code(bank_a_user, offset=1)})
    assert fresh.status_code == 302 and fresh["Location"] == "/"
    assert _logged_in(client)


def test_a_recovery_code_logs_in_once_and_its_use_is_audited(
    bank_a_user: User, required: Organisation
) -> None:
    codes = _enrolled(bank_a_user)
    client = Client()
    _password(client, "bank_a")
    assert client.post("/login/verify/", {"code": codes[3].upper()}).status_code == 302
    assert _logged_in(client)
    used = AuditRecord.objects.get(action="second_factor.recovery_code_used")
    assert used.after["recovery_codes_left"] == RECOVERY_CODE_COUNT - 1

    again = Client()
    _password(again, "bank_a")
    assert again.post("/login/verify/", {"code": codes[3]}).status_code == 422
    assert not _logged_in(again)


def test_code_guesses_count_in_the_login_throttle(
    bank_a_user: User, required: Organisation, settings: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    _enrolled(bank_a_user)
    client = Client()
    _password(client, "bank_a")
    assert client.post("/login/verify/", {"code": "not-a-code"}).status_code == 422
    assert client.post("/login/verify/", {"code": "also-not"}).status_code == 422
    # The password's success freed its place; two code failures and one more reach the limit.
    assert client.post("/login/verify/", {"code": "third-try"}).status_code == 422
    refused = client.post("/login/verify/", {"code": _current_code(bank_a_user, offset=1)})
    assert refused.status_code == 429 and not _logged_in(client)
    outcomes = LoginAttempt.objects.filter(username="bank_a").values_list("outcome", flat=True)
    assert list(outcomes).count(LoginOutcome.REFUSED) == 1


def test_the_second_step_without_a_recent_password_goes_back_to_the_login(
    bank_a_user: User, required: Organisation
) -> None:
    assert Client().get("/login/verify/")["Location"] == "/login/"
    client = Client()
    _password(client, "bank_a")
    session = client.session
    session["second_factor_pending"]["since"] = int(time.time()) - 3600
    session.save()
    late = client.post("/login/verify/", {"code": "123456"})
    assert late.status_code == 302 and late["Location"] == "/login/"
    assert not _logged_in(client)


def test_the_next_page_survives_the_second_step(bank_a_user: User, required: Organisation) -> None:
    _enrolled(bank_a_user)
    client = Client()
    client.post("/login/", {"username": "bank_a", "password": RIGHT, "next": "/loans/"})
    done = client.post("/login/verify/", {"code": _current_code(bank_a_user, offset=1)})
    assert done["Location"] == "/loans/"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_eight_times_at_once_is_accepted_once(bank_a_user: User) -> None:
    assert connection.vendor == "postgresql"
    _enrolled(bank_a_user)
    code = _current_code(bank_a_user, offset=1)

    def check(_: int) -> str:
        try:
            return second_factor_check(user=bank_a_user, code=code)
        except ValidationFailed as exc:
            return exc.code

    results = all_at_once(8, check)
    assert sorted(results) == ["second_factor_invalid"] * 7 + ["totp"]


# --- the account security page ------------------------------------------------------------------


def test_a_user_turns_it_on_and_off_on_the_security_page(
    client_for: Callable[[User], Client], enterprise_a_user: User
) -> None:
    client = client_for(enterprise_a_user)
    assert "未开启" in client.get("/account/security/").content.decode()
    assert client.post("/account/security/", {"action": "start"}).status_code == 302
    page = client.get("/account/security/").content.decode()
    assert 'data-testid="totp-qr"' in page
    enrolled = client.post(
        "/account/security/", {"action": "enrol", "code": _current_code(enterprise_a_user)}
    )
    assert enrolled.status_code == 200
    assert enrolled.content.decode().count("<li><code>") == RECOVERY_CODE_COUNT

    unconfirmed = client.post(
        "/account/security/", {"action": "disable", "code": _current_code(enterprise_a_user, 1)}
    )
    assert unconfirmed.status_code == 400  # the confirmation box was not ticked
    assert TotpDevice.objects.filter(user=enterprise_a_user).exists()
    off = client.post(
        "/account/security/",
        {"action": "disable", "code": _current_code(enterprise_a_user, 1), "confirm": "on"},
    )
    assert off.status_code == 302
    assert not TotpDevice.objects.filter(user=enterprise_a_user).exists()
    assert AuditRecord.objects.filter(action="second_factor.disable").count() == 1
    # Voluntarily on, then off: the next login needs only the password again.
    assert _password(Client(), "enterprise_a")["Location"] == "/"


def test_renewing_the_recovery_codes_retires_the_old_ones(
    client_for: Callable[[User], Client], bank_a_user: User
) -> None:
    old = _enrolled(bank_a_user)
    client = client_for(bank_a_user)
    renewed = client.post("/account/security/", {"action": "renew", "code": old[0]})
    assert renewed.status_code == 200
    assert renewed.content.decode().count("<li><code>") == RECOVERY_CODE_COUNT
    with pytest.raises(ValidationFailed):
        second_factor_check(user=bank_a_user, code=old[1])


def test_a_required_second_factor_cannot_be_turned_off(
    client_for: Callable[[User], Client], bank_a_user: User, required: Organisation
) -> None:
    _enrolled(bank_a_user)
    client = client_for(bank_a_user)
    refused = client.post(
        "/account/security/",
        {"action": "disable", "code": _current_code(bank_a_user, 1), "confirm": "on"},
    )
    assert refused.status_code == 409
    assert TotpDevice.objects.filter(user=bank_a_user, confirmed_at__isnull=False).exists()


def test_only_the_organisations_administrator_sets_the_requirement(
    client_for: Callable[[User], Client], bank_a_user: User, bank_admin: User, bank_a: Organisation
) -> None:
    with pytest.raises(PermissionDenied) as denied:
        organisation_second_factor_set(actor=bank_a_user, organisation=bank_a, required=True)
    assert denied.value.code == "not_organisation_admin"
    member_page = client_for(bank_a_user).get("/account/security/").content.decode()
    assert 'data-testid="organisation-second-factor"' not in member_page

    admin = client_for(bank_admin)
    page = admin.get("/account/security/").content.decode()
    assert 'data-member="bank_a"' in page
    turned_on = admin.post("/account/security/", {"action": "require", "required": "on"})
    assert turned_on.status_code == 302
    bank_a.refresh_from_db()
    assert bank_a.totp_required
    record = AuditRecord.objects.get(action="organisation.second_factor")
    assert record.before == {"totp_required": False} and record.after == {"totp_required": True}


def test_the_administrator_resets_a_members_lost_authenticator_not_another_banks(
    client_for: Callable[[User], Client],
    bank_a_user: User,
    bank_b_user: User,
    bank_admin: User,
    required: Organisation,
) -> None:
    _enrolled(bank_a_user)
    _enrolled(bank_b_user)
    admin = client_for(bank_admin)
    unconfirmed = admin.post(f"/account/security/members/{bank_a_user.pk}/reset/")
    assert unconfirmed.status_code == 302
    assert TotpDevice.objects.filter(user=bank_a_user).exists()
    admin.post(f"/account/security/members/{bank_a_user.pk}/reset/", {"confirm": "on"})
    assert not TotpDevice.objects.filter(user=bank_a_user).exists()
    assert AuditRecord.objects.filter(action="second_factor.reset").count() == 1
    admin.post(f"/account/security/members/{bank_b_user.pk}/reset/", {"confirm": "on"})
    assert TotpDevice.objects.filter(user=bank_b_user).exists()
    # The member sets up a new app at the next login (the organisation requires it).
    client = Client()
    _password(client, "bank_a")
    assert 'data-testid="totp-qr"' in client.get("/login/verify/").content.decode()


def test_an_enrolled_user_cannot_start_over_without_turning_it_off(bank_a_user: User) -> None:
    _enrolled(bank_a_user)
    with pytest.raises(Conflict) as refused:
        totp_enrolment_start(user=bank_a_user)
    assert refused.value.code == "second_factor_enabled"


def test_the_operator_command_requires_and_resets(bank_a_user: User, bank_a: Organisation) -> None:
    call_command("second_factor", "require", bank_a.uscc)
    bank_a.refresh_from_db()
    assert bank_a.totp_required
    _enrolled(bank_a_user)
    call_command("second_factor", "reset", "bank_a")
    assert not TotpDevice.objects.filter(user=bank_a_user).exists()
    call_command("second_factor", "off", bank_a.uscc)
    bank_a.refresh_from_db()
    assert not bank_a.totp_required
    assert AuditRecord.objects.filter(action="organisation.second_factor").count() == 2
