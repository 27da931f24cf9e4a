"""The demo's library (ipfin/demo/scenarios/outreach.py), written through the services on the
demo's parties: three cases and two guides published, two events open for registration with
enterprise A's and bank A's attendees, four experts and two talents — each with its audit
record."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from ipfin.audit.models import AuditRecord
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.outreach import stock_library
from ipfin.demo.scenarios.parties import cast_parties
from ipfin.outreach import presentation, selectors

pytestmark = pytest.mark.django_db


def test_the_demo_stocks_the_library_through_the_services() -> None:
    cast = cast_parties()
    library = stock_library(cast, History.ending(timezone.localdate()))
    public = AnonymousUser()
    kinds = [a.kind for a in selectors.article_list(actor=public)]
    assert sorted(kinds) == ["case", "case", "case", "guide", "guide"]
    events = list(selectors.event_list(actor=public))
    assert sorted(e.kind for e in events) == ["bank_enterprise_matchmaking", "park_roadshow"]
    now = timezone.now()
    assert all(presentation.registration_open(e, now) for e in events)
    assert sorted(e.taken for e in events) == [0, 2]  # type: ignore[attr-defined]
    pools = [x.pool for x in selectors.expert_list(actor=public)]
    assert sorted(pools) == ["expert"] * 4 + ["talent"] * 2
    assert len(library.articles) == 5 and len(library.experts) == 6
    for action, n in [("article.create", 5), ("article.publish", 5), ("event.create", 2),
                      ("event.publish", 2), ("event.register", 2), ("expert.add", 6)]:  # fmt: skip
        assert AuditRecord.objects.filter(action=action).count() == n, action
