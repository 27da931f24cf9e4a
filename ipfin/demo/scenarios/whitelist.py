"""Scenario 7: the white list (白名单). The office imports a list of high-tech enterprises, screens
every profiled enterprise into a batch published and pushed to bank A only, keeps a second batch
as a draft; bank A recommends a customer of its own."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.demo.scenarios.parties import Cast
from ipfin.whitelist import services as whitelist
from ipfin.whitelist.models import WhitelistBatch


def draw_up_whitelist(cast: Cast) -> WhitelistBatch:
    """Returns the published batch."""
    office, bank_a = cast.examiner, cast.bank_a
    names = "单位名称\n" + cast.firms[0].name + "\n"
    upload = SimpleUploadedFile("list.csv", names.encode("utf-8-sig"), content_type="text/csv")
    whitelist.list_import(actor=office, uploaded_file=upload, kind="high_tech")
    rule = whitelist.rule_create(actor=office, name="演示全部企业")
    batch = whitelist.batch_create(actor=office, rule=rule, title="甲银行批次")
    whitelist.batch_publish(actor=office, batch=batch)
    assert bank_a.organisation_id is not None
    whitelist.batch_push(actor=office, batch=batch, bank_ids=[bank_a.organisation_id])
    whitelist.batch_create(actor=office, rule=rule, title="草稿")
    whitelist.recommendation_create(
        actor=bank_a, enterprise_uscc=cast.firms[2].uscc or "", reason="甲银行客户"
    )
    return batch
