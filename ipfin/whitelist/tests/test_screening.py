"""Screening: the bulk "IP + credit" scores equal the valuation app's one-by-one scorecard, rule
boundaries, the set-based candidate query agrees with the pure rule, the preview explains."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import models
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import Conflict
from ipfin.registry.models import Right
from ipfin.valuation.models import RightScore
from ipfin.valuation.selectors import credit_score_get, credit_scores_bulk
from ipfin.whitelist import selectors, services
from ipfin.whitelist.domain import Criteria, EnterpriseFacts, screen
from ipfin.whitelist.models import ScreeningRule
from ipfin.whitelist.tests.conftest import EMPTY_PROFILE_SCORE, csv_file


def _store_score(right: Right, score: float) -> None:
    floats = {
        f.name: 0.0
        for f in RightScore._meta.get_fields()
        if isinstance(f, models.FloatField) and f.name != "score"
    }
    RightScore.objects.create(
        right=right, run_id=1, score=score, grade="B", cohort_size=1, **floats
    )


def test_bulk_scores_equal_the_valuation_scorecard(
    examiner: User,
    make_enterprise: Callable[..., Organisation],
    make_right: Callable[..., Right],
) -> None:
    rich = make_enterprise(
        "富企业",
        {
            "rd_expense_ratio": Decimal("0.06"),
            "high_tech": True,
            "established_on": date(2015, 3, 1),
            "credit_rating": "AA",
            "overdue_count_24m": 1,
            "revenue": Decimal("25000000"),
            "revenue_growth": Decimal("0.12"),
            "debt_ratio": Decimal("0.45"),
            "tax_credit_grade": "A",
        },
    )
    plain = make_enterprise("普通企业", {})
    invention = make_right(owners=[rich])
    utility = make_right(kind="utility_model", owners=[rich])
    make_right(owners=[rich], paid=False, filing_date=timezone.localdate() - timedelta(days=2000))
    _store_score(invention, 61.25)
    _store_score(utility, 48.5)
    day = timezone.localdate()
    bulk = credit_scores_bulk([rich, plain], on=day)
    for org in (rich, plain):
        # Read by a supervisor: a bank reads only its customers' scorecards.
        expected = credit_score_get(actor=examiner, uscc=org.uscc or "", on=day)
        got = bulk[org.pk]
        assert not isinstance(got, Exception)
        assert (got.total, got.grade, dict(got.groups)) == (
            expected["total"],
            expected["grade"],
            expected["groups"],
        )
    assert bulk[plain.pk].total == EMPTY_PROFILE_SCORE  # type: ignore[union-attr]
    assert bulk[rich.pk].groups["ip"] > 0  # type: ignore[union-attr]


def test_bulk_scores_skip_enterprises_without_a_profile(
    make_enterprise: Callable[..., Organisation],
) -> None:
    org = make_enterprise("无画像", None)
    assert credit_scores_bulk([org], on=timezone.localdate()) == {}


def test_bulk_scores_run_the_same_queries_for_2_and_12_enterprises(
    make_enterprise: Callable[..., Organisation],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    orgs = [make_enterprise(f"企业{i}", {"high_tech": i % 2 == 0}) for i in range(12)]
    on = timezone.localdate()
    scores: dict[int, object] = {}
    two = count_queries(lambda: scores.update(credit_scores_bulk(orgs[:2], on=on)))
    assert len(scores) == 2
    twelve = count_queries(lambda: scores.update(credit_scores_bulk(orgs, on=on)))
    assert len(scores) == 12
    assert two == twelve <= 5


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [
        (None, {"high", "mid", "low"}),
        (29, {"high", "mid", "low"}),  # 29 ≥ 29: the boundary is in
        (30, {"high", "mid"}),
        (34, {"high", "mid"}),
        (35, {"high"}),
        (37, {"high"}),
        (38, set()),
    ],
)
def test_rule_score_boundaries(
    office_user: User,
    make_rule: Callable[..., ScreeningRule],
    scored: dict[str, Organisation],
    minimum: int | None,
    expected: set[str],
) -> None:
    rule = make_rule(min_credit_score=minimum)
    included, excluded = selectors.screening_preview(
        actor=office_user, criteria=selectors.criteria_of(rule), on=timezone.localdate()
    )
    names = {org.pk: key for key, org in scored.items()}
    assert {names[s.organisation.pk] for s in included} == expected
    assert {names[s.organisation.pk] for s in excluded} == set(scored) - expected
    (none,) = [s for s in excluded if s.organisation == scored["none"]]
    assert [r.code for r in none.verdict.failed] == ["no_credit_profile"]
    assert {
        s.organisation.pk
        for s in selectors.screening_selected(selectors.criteria_of(rule), timezone.localdate())
    } == {scored[k].pk for k in expected}


def test_preview_lists_the_highest_score_first_with_reasons(
    office_user: User, make_rule: Callable[..., ScreeningRule], scored: dict[str, Organisation]
) -> None:
    rule = make_rule(min_credit_score=30, industries=["新材料"])
    included, excluded = selectors.screening_preview(
        actor=office_user, criteria=selectors.criteria_of(rule), on=timezone.localdate()
    )
    assert [s.organisation for s in included] == [scored["high"]]
    assert [r.code for r in included[0].verdict.met] == ["credit_score", "industry"]
    by_org = {s.organisation: [r.code for r in s.verdict.failed] for s in excluded}
    assert by_org[scored["mid"]] == ["industry"]  # 34 ≥ 30 but 软件
    assert by_org[scored["low"]] == ["credit_score"]  # 29 < 30, 新材料


def test_candidate_query_agrees_with_the_pure_rule(
    office_user: User,
    make_enterprise: Callable[..., Organisation],
    make_org: Callable[..., Organisation],
) -> None:
    """Every combination of facts × criteria: the SQL candidates (before the score) are exactly
    the enterprises the pure rule would take with the score criterion left out."""
    park_1 = make_org(OrganisationKind.PARK, "一号园区", uscc=None)
    park_2 = make_org(OrganisationKind.PARK, "二号园区", uscc=None)
    orgs = []
    for i, (industry, region, park, size) in enumerate(
        [
            ("新材料", "440305", park_1, "small"),
            ("新材料", "110108", park_2, "medium"),
            ("软件", "440106", None, "small"),
            ("软件", "", park_1, ""),
            ("", "4403", None, "micro"),
        ]
    ):
        orgs.append(
            make_enterprise(f"企业{i}", {}, industry=industry, region=region, park=park, size=size)
        )
    orgs.append(make_enterprise("无画像", None, industry="新材料", region="440305"))
    services.list_import(
        actor=office_user,
        uploaded_file=csv_file([["统一社会信用代码"], [orgs[0].uscc], [orgs[2].uscc]]),
        kind="high_tech",
    )
    criteria_grid = [
        Criteria(),
        Criteria(industries=("新材料",)),
        Criteria(regions=("4403",)),
        Criteria(regions=("4403", "1101")),
        Criteria(park_ids=(park_1.pk,)),
        Criteria(sizes=("small", "micro")),
        Criteria(required_list_kinds=("high_tech",)),
        Criteria(industries=("软件",), regions=("44",), required_list_kinds=("high_tech",)),
    ]
    kinds = {orgs[0].pk: frozenset({"high_tech"}), orgs[2].pk: frozenset({"high_tech"})}
    for criteria in criteria_grid:
        from_sql = set(selectors.screening_candidates(criteria).values_list("pk", flat=True))
        from_rule = {
            o.pk
            for o in orgs
            if screen(
                EnterpriseFacts(
                    id=o.pk,
                    industry=o.industry,
                    region=o.region,
                    park_id=o.park_id,
                    size=o.size,
                    list_kinds=kinds.get(o.pk, frozenset()),
                    credit_score=None if o.name == "无画像" else 50,
                ),
                criteria,
            ).included
        }
        assert from_sql == from_rule, criteria


def test_rule_create_validates(office_user: User, bank_a: Organisation) -> None:
    from ipfin.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        services.rule_create(actor=office_user, name="x", sizes=["huge"])
    assert caught.value.code == "sizes_invalid"
    with pytest.raises(ValidationFailed) as caught:
        services.rule_create(actor=office_user, name="x", park_ids=[bank_a.pk])
    assert caught.value.code == "park_unknown"
    with pytest.raises(ValidationFailed) as caught:
        services.rule_create(actor=office_user, name="x", min_credit_score=101)
    assert caught.value.code == "min_credit_score_invalid"
    with pytest.raises(ValidationFailed) as caught:
        services.rule_create(actor=office_user, name="  ")
    assert caught.value.code == "name_required"
    assert not ScreeningRule.objects.exists()
    rule = services.rule_create(
        actor=office_user, name="规则", industries=[" 新材料 ", "", "新材料", "软件"]
    )
    assert rule.industries == ["新材料", "软件"]


def _dishonest(org: Organisation, office_user: User, day: date) -> None:
    """A 信用中国 record of 失信被执行人 dated ten days before `day`."""
    from ipfin.valuation.models import CreditDataImport, CreditFileKindChoices, CreditRecord

    kind = CreditFileKindChoices.PUBLIC_CREDIT
    imported = CreditDataImport.objects.create(
        kind=kind, source="信用中国", as_of=day, filename="records.csv", sha256=f"{org.pk:064x}",
        imported_by=office_user,
    )  # fmt: skip
    CreditRecord.objects.create(
        organisation=org, data_import=imported, kind=kind, value="失信被执行人",
        on=day - timedelta(days=10), reference="（2026）粤01执1号",
    )  # fmt: skip


def test_a_dishonest_enterprise_is_screened_out_with_or_without_a_credit_profile(
    make_enterprise: Callable[..., Organisation],
    office_user: User,
) -> None:
    """一票否决: a 失信被执行人 record of the last two years keeps an enterprise off the list, and
    an enterprise without a credit profile (no score to carry the record) was let through."""
    day = timezone.localdate()
    with_profile = make_enterprise("失信甲有限公司", {"credit_rating": "AAA"})
    without = make_enterprise("失信乙有限公司", None)
    honest = make_enterprise("守信丙有限公司", {"credit_rating": "AAA"})
    for org in (with_profile, without):
        _dishonest(org, office_user, day)
    included, excluded = selectors.screening_preview(actor=office_user, criteria=Criteria(), on=day)
    assert honest.pk in {s.organisation.pk for s in included}
    out = {s.organisation.pk: s for s in excluded}
    for org in (with_profile, without):
        assert "dishonesty_record" in [r.code for r in out[org.pk].verdict.failed]


def test_a_banks_recommendation_does_not_lift_a_dishonesty_record(
    make_enterprise: Callable[..., Organisation],
    make_rule: Callable[..., ScreeningRule],
    office_user: User,
    bank_a_user: User,
) -> None:
    """The office accepting a bank's recommendation of an enterprise with a 失信 record: refused
    (409 `enterprise_dishonest`, naming the record's day), nothing put in the batch, the
    recommendation still waiting. It had been put on the list the screening kept it off."""
    day = timezone.localdate()
    firm = make_enterprise("失信科技有限公司", {"credit_rating": "AAA"})
    _dishonest(firm, office_user, day)
    batch = services.batch_create(actor=office_user, rule=make_rule(name="全部"), title="草稿")
    recommended = services.recommendation_create(
        actor=bank_a_user, enterprise_uscc=firm.uscc, reason="经营良好"
    )
    with pytest.raises(Conflict) as refused:
        services.recommendation_decide(
            actor=office_user, recommendation=recommended, decision="accept", batch=batch
        )
    assert refused.value.code == "enterprise_dishonest"
    assert refused.value.extra["dishonesty_on"] == (day - timedelta(days=10)).isoformat()
    assert not batch.entries.filter(enterprise=firm).exists()
    recommended.refresh_from_db()
    assert recommended.state == "received"
