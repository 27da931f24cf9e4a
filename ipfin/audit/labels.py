"""What the audit trail's codes say to a reader: a label, in Chinese and English, for every action
the code base writes (`audit_record(action=...)`) and for the objects the records name.

The codes stay what the records store, the API returns and a filter takes (`?action=`); only the
pages show labels. The messages carry the context "audit" (`pgettext`; the action filter's group
headings "audit group"), so that a label here is translated for the trail whatever the same
Chinese words mean elsewhere ("质押登记" is "Pledge #12" here, the pledge registrations on the
navigation).

- `action_label(code)`: the action's label; the register's events (`right.event.<type>`) are
  named by the register's own event labels (RightEvent.type's choices). A code with no label (an
  old record's) is "其他操作" (`is_known_action` says which); the page keeps the code in a
  `title` attribute, never as text.
- `object_label(object_type)`: the label of the object's kind: this module's own (singular,
  "Pledge #12"), else the model's `verbose_name` when it sets one (apps.get_model), else
  "其他对象".
- `object_text(object_type, object_id)`: "<label> #<id>"; an id that is not a number (the daily
  scan's date, an import's data source) is shown in words, never as a code.

No import of the other apps (this app sits below them, see CONTRIBUTING "Layers"): the models are
found through the app registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

__all__ = [
    "ACTION_GROUPS",
    "ACTION_LABELS",
    "IMPORT_SOURCE_LABELS",
    "NON_MODEL_OBJECTS",
    "OBJECT_LABELS",
    "OTHER_ACTION",
    "OTHER_OBJECT",
    "RIGHT_EVENT_PREFIX",
    "action_choices",
    "action_label",
    "all_action_codes",
    "all_messages",
    "is_known_action",
    "is_known_object",
    "object_label",
    "object_text",
    "object_type_choices",
    "right_event_types",
]

OTHER_ACTION = pgettext_lazy("audit", "其他操作")
OTHER_OBJECT = pgettext_lazy("audit", "其他对象")
RIGHT_EVENT_PREFIX = "right.event."

# By area, in the order of the action filter's groups.
ACTION_GROUPS: tuple[tuple[Promise, dict[str, Promise]], ...] = (
    (
        pgettext_lazy("audit group", "质押登记"),
        {
            "pledge.submit": pgettext_lazy("audit", "提交质押登记申请"),
            "pledge.confirm": pgettext_lazy("audit", "另一方确认质押登记申请"),
            "pledge.decline": pgettext_lazy("audit", "另一方拒绝确认质押登记申请"),
            "pledge.lapse": pgettext_lazy("audit", "质押登记申请逾期未确认失效"),
            "pledge.withdraw": pgettext_lazy("audit", "撤回质押登记申请"),
            "pledge.document_upload": pgettext_lazy("audit", "上传质押登记材料"),
            "pledge.claim": pgettext_lazy("audit", "领取质押登记审查案件"),
            "pledge.assign": pgettext_lazy("audit", "分派质押登记审查案件"),
            "pledge.claim_release": pgettext_lazy("audit", "退回质押登记审查案件"),
            "pledge.approve_proposed": pgettext_lazy("audit", "提议准予质押登记（待复核）"),
            "pledge.approve": pgettext_lazy("audit", "准予质押登记"),
            "pledge.reject": pgettext_lazy("audit", "不予质押登记"),
            "pledge.request_correction": pgettext_lazy("audit", "要求补正质押登记申请"),
            "pledge.resubmit": pgettext_lazy("audit", "补正后重新提交质押登记申请"),
            "pledge.amend": pgettext_lazy("audit", "修改质押登记申请（待另一方重新确认）"),
            "pledge.notice_generate": pgettext_lazy("audit", "出具质押登记通知书"),
            "pledge.release_request": pgettext_lazy("audit", "出质人申请注销质押登记"),
            "pledge.release": pgettext_lazy("audit", "注销质押登记"),
            "pledge.annuity_deposit": pgettext_lazy("audit", "办理年费预缴"),
            "pledge.annuity_deposit_draw": pgettext_lazy("audit", "以预缴款缴纳年费"),
            "pledge.annuity_deposit_refund": pgettext_lazy("audit", "退还预缴年费"),
        },
    ),
    (
        pgettext_lazy("audit group", "质押变更登记"),
        {
            "pledge.change_file": pgettext_lazy("audit", "提交质押变更登记申请"),
            "pledge.change_confirm": pgettext_lazy("audit", "另一方确认质押变更申请"),
            "pledge.change_decline": pgettext_lazy("audit", "另一方拒绝确认质押变更申请"),
            "pledge.change_withdraw": pgettext_lazy("audit", "撤回质押变更申请"),
            "pledge.change_lapse": pgettext_lazy("audit", "质押变更申请逾期未确认失效"),
            "pledge.change_close": pgettext_lazy("audit", "质押注销，变更申请随之终止"),
            "pledge_change.claim": pgettext_lazy("audit", "领取质押变更审查案件"),
            "pledge_change.assign": pgettext_lazy("audit", "分派质押变更审查案件"),
            "pledge_change.claim_release": pgettext_lazy("audit", "退回质押变更审查案件"),
            "pledge.change_approve": pgettext_lazy("audit", "核准质押变更"),
            "pledge.change_approve_proposed": pgettext_lazy("audit", "提议准予质押变更（待复核）"),
            "pledge.change_reject": pgettext_lazy("audit", "不予质押变更"),
            "pledge.change_request_correction": pgettext_lazy("audit", "要求补正质押变更申请"),
        },
    ),
    (
        pgettext_lazy("audit group", "知识产权登记簿"),
        {
            "right.create": pgettext_lazy("audit", "知识产权登记入簿"),
            "right.term_facts": pgettext_lazy("audit", "记载保护期限事实"),
            "right_owner.link": pgettext_lazy("audit", "权利人关联至机构"),
            "registry.import": pgettext_lazy("audit", "导入登记数据"),
            "registry.import.interrupted": pgettext_lazy("audit", "导入登记数据中断"),
        },
    ),
    (
        pgettext_lazy("audit group", "价值评估"),
        {
            "valuation.create": pgettext_lazy("audit", "形成评估报告草稿"),
            "valuation.issue": pgettext_lazy("audit", "出具评估报告"),
            "valuation.recheck": pgettext_lazy("audit", "委托银行复核评估报告"),
            "valuation.bank_model_update": pgettext_lazy("audit", "更新银行内部评估模型"),
            "valuation.credit_profile_update": pgettext_lazy("audit", "更新企业信用画像"),
            "valuation.score_portfolio": pgettext_lazy("audit", "批量计算价值度评分"),
            "valuation.agency_seal_upload": pgettext_lazy("audit", "上传评估机构印章"),
        },
    ),
    (
        pgettext_lazy("audit group", "金融产品与融资对接"),
        {
            "product.publish": pgettext_lazy("audit", "发布金融产品"),
            "product.withdraw": pgettext_lazy("audit", "下架金融产品"),
            "policy.publish": pgettext_lazy("audit", "发布政策"),
            "policy.withdraw": pgettext_lazy("audit", "撤回政策"),
            "demand.file": pgettext_lazy("audit", "发布融资需求"),
            "demand.withdraw": pgettext_lazy("audit", "撤回融资需求"),
            "demand.push": pgettext_lazy("audit", "向银行推送融资需求"),
            "demand.financed": pgettext_lazy("audit", "融资需求获得贷款"),
            "ledger.respond": pgettext_lazy("audit", "银行反馈对接结果"),
            "ledger.remind": pgettext_lazy("audit", "催办逾期未反馈的对接"),
        },
    ),
    (
        pgettext_lazy("audit group", "贷款与贴息"),
        {
            "loan.apply": pgettext_lazy("audit", "提交贷款申请"),
            "loan.approve": pgettext_lazy("audit", "批准贷款"),
            "loan.decline": pgettext_lazy("audit", "拒绝贷款申请"),
            "loan.disburse": pgettext_lazy("audit", "发放贷款"),
            "loan.repay": pgettext_lazy("audit", "登记还款"),
            "loan.close": pgettext_lazy("audit", "贷款结清"),
            "loan.classify": pgettext_lazy("audit", "按逾期天数调整五级分类"),
            "loan.classify_manual": pgettext_lazy("audit", "人工认定五级分类"),
            "loan.write_off": pgettext_lazy("audit", "核销贷款"),
            "loan.security_waive": pgettext_lazy("audit", "声明放弃质押担保"),
            "subsidy.claim_submit": pgettext_lazy("audit", "提交贴息申请"),
            "subsidy.claim_approve": pgettext_lazy("audit", "贴息申请审核通过"),
            "subsidy.claim_reject": pgettext_lazy("audit", "贴息申请审核不通过"),
            "subsidy.allocate_proposed": pgettext_lazy("audit", "提议贴息核定（待复核）"),
            "subsidy.allocate": pgettext_lazy("audit", "确认贴息核定"),
            "subsidy.allocate_discarded": pgettext_lazy("audit", "退回贴息核定提议"),
        },
    ),
    (
        pgettext_lazy("audit group", "白名单"),
        {
            "whitelist.list_import": pgettext_lazy("audit", "导入企业名单"),
            "whitelist.rule_create": pgettext_lazy("audit", "制定筛选规则"),
            "whitelist.batch_create": pgettext_lazy("audit", "生成白名单批次"),
            "whitelist.batch_publish": pgettext_lazy("audit", "发布白名单批次"),
            "whitelist.batch_push": pgettext_lazy("audit", "向银行推送白名单"),
            "whitelist.follow_up": pgettext_lazy("audit", "银行登记跟进情况"),
            "whitelist.recommend": pgettext_lazy("audit", "银行推荐企业"),
            "whitelist.recommendation_accept": pgettext_lazy("audit", "采纳银行推荐"),
            "whitelist.recommendation_decline": pgettext_lazy("audit", "不予采纳银行推荐"),
            "whitelist.recommendation_left_out": pgettext_lazy(
                "audit", "发布白名单时因失信记录移出银行推荐的企业"
            ),
        },
    ),
    (
        pgettext_lazy("audit group", "风险补偿与预警"),
        {
            "risk.scheme_create": pgettext_lazy("audit", "设立风险补偿方案"),
            "risk.scheme_update": pgettext_lazy("audit", "修订风险补偿方案"),
            "risk.fund_budget": pgettext_lazy("audit", "风险补偿资金预算入账"),
            "risk.claim_file": pgettext_lazy("audit", "提交风险补偿申请"),
            "risk.claim_approve": pgettext_lazy("audit", "批准风险补偿申请"),
            "risk.claim_reject": pgettext_lazy("audit", "驳回风险补偿申请"),
            "risk.claim_pay": pgettext_lazy("audit", "拨付风险补偿款"),
            "risk.claim_settle": pgettext_lazy("audit", "质物处置后结算风险补偿"),
            "risk.claim_sale_recorded": pgettext_lazy("audit", "记录质物处置还款，待结算"),
            "risk.claim_receive": pgettext_lazy("audit", "确认收到银行退还的代偿款"),
            "risk.bank_npl_report": pgettext_lazy("audit", "报送银行不良贷款率"),
            "stats.bank_return": pgettext_lazy("audit", "报送银行季度数据"),
            "risk.scan": pgettext_lazy("audit", "每日风险扫描"),
            "risk.alert_acknowledge": pgettext_lazy("audit", "确认风险预警"),
            "risk.alert_resolve": pgettext_lazy("audit", "办结风险预警"),
        },
    ),
    (
        pgettext_lazy("audit group", "质物处置"),
        {
            "insurance.policy_issue": pgettext_lazy("audit", "出具保险保单"),
            "insurance.policy_accept": pgettext_lazy("audit", "被保险银行确认保单"),
            "insurance.claim_notify": pgettext_lazy("audit", "保险报案"),
            "insurance.claim_assess": pgettext_lazy("audit", "保险定损"),
            "insurance.claim_pay": pgettext_lazy("audit", "保险赔付"),
            "insurance.claim_by_settlement": pgettext_lazy("audit", "风险补偿结算确定保险赔付"),
            "insurance.refund_by_settlement": pgettext_lazy(
                "audit", "风险补偿结算确定银行返还保险机构"
            ),
            "insurance.refund_receive": pgettext_lazy("audit", "保险机构确认收到银行返还款"),
            "guarantee.refund_receive": pgettext_lazy("audit", "担保机构确认收到银行返还款"),
            "abs.royalty_record": pgettext_lazy("audit", "登记许可使用费应收账款"),
            "abs.programme_create": pgettext_lazy("audit", "发起资产支持专项计划"),
            "abs.programme_answer": pgettext_lazy("audit", "答复资产支持专项计划邀请"),
            "trading.listing_create": pgettext_lazy("audit", "挂牌交易知识产权"),
            "trading.listing_withdraw": pgettext_lazy("audit", "撤回交易挂牌"),
            "trading.interest_express": pgettext_lazy("audit", "提交交易意向"),
            "trading.deal_agree": pgettext_lazy("audit", "达成知识产权交易"),
            "trading.deal_consent": pgettext_lazy("audit", "质权人答复交易"),
            "trading.deal_consent_asked": pgettext_lazy("audit", "请交易达成后的新质权人答复"),
            "trading.deal_record": pgettext_lazy("audit", "登记知识产权交易"),
            "trading.deal_lapse": pgettext_lazy("audit", "交易因卖方不再是权利人而失效"),
            "jobs.launch": pgettext_lazy("audit", "手动运行后台任务"),
            "jobs.request": pgettext_lazy("audit", "提交文件由后台任务处理"),
            "valuation.credit_import": pgettext_lazy("audit", "导入信用数据文件"),
            "feed.webhook_create": pgettext_lazy("audit", "订阅变更推送"),
            "feed.webhook_rotate": pgettext_lazy("audit", "更换推送签名密钥"),
            "feed.webhook_delete": pgettext_lazy("audit", "删除变更推送订阅"),
            "feed.webhook_replay": pgettext_lazy("audit", "重新推送事件"),
            "guarantee.request": pgettext_lazy("audit", "申请融资担保"),
            "guarantee.issue": pgettext_lazy("audit", "出具融资担保"),
            "guarantee.decline": pgettext_lazy("audit", "拒绝出具融资担保"),
            "guarantee.fee_charge": pgettext_lazy("audit", "收取担保费"),
            "guarantee.call": pgettext_lazy("audit", "担保索赔"),
            "guarantee.pay": pgettext_lazy("audit", "担保代偿"),
            "guarantee.recover": pgettext_lazy("audit", "担保处置回收结算"),
            "guarantee.settle_by_claim": pgettext_lazy("audit", "担保随风险补偿结算"),
            "guarantee.due_after_sale": pgettext_lazy("audit", "处置成交后调整应代偿金额"),
            "guarantee.recover_interim": pgettext_lazy("audit", "处置成交后记录担保阶段回收"),
            "disposal.create": pgettext_lazy("audit", "质物处置挂牌"),
            "disposal.bid": pgettext_lazy("audit", "竞买出价"),
            "disposal.backstop": pgettext_lazy("audit", "交易中心兜底收储"),
            "disposal.complete": pgettext_lazy("audit", "质物处置成交"),
            "disposal.withdraw": pgettext_lazy("audit", "撤回质物处置挂牌"),
        },
    ),
    (
        pgettext_lazy("audit group", "宣传与服务资源库"),
        {
            "article.create": pgettext_lazy("audit", "撰写资源库文章"),
            "article.publish": pgettext_lazy("audit", "发布资源库文章"),
            "article.withdraw": pgettext_lazy("audit", "撤回资源库文章"),
            "event.create": pgettext_lazy("audit", "新建活动"),
            "event.publish": pgettext_lazy("audit", "发布活动"),
            "event.cancel": pgettext_lazy("audit", "取消活动"),
            "event.register": pgettext_lazy("audit", "活动报名"),
            "event.check_in": pgettext_lazy("audit", "活动签到"),
            "expert.add": pgettext_lazy("audit", "专家入库"),
            "expert.update": pgettext_lazy("audit", "修改专家信息"),
            "expert.deactivate": pgettext_lazy("audit", "专家出库"),
            "expert.pick": pgettext_lazy("audit", "抽取评审专家"),
        },
    ),
    (
        pgettext_lazy("audit group", "示范区指数"),
        {
            "index.system_create": pgettext_lazy("audit", "新建指数指标体系"),
            "index.system_edit": pgettext_lazy("audit", "修改指数指标体系"),
            "index.system_version": pgettext_lazy("audit", "创建指标体系新版本"),
            "index.system_activate": pgettext_lazy("audit", "启用指标体系"),
            "index.system_retire": pgettext_lazy("audit", "停用指标体系"),
            "index.indicator_add": pgettext_lazy("audit", "添加指数指标"),
            "index.indicator_edit": pgettext_lazy("audit", "修改指数指标"),
            "index.indicator_remove": pgettext_lazy("audit", "删除指数指标"),
            "index.values_upload": pgettext_lazy("audit", "上传示范区指标数值"),
            "index.run_compute": pgettext_lazy("audit", "计算示范区指数"),
            "index.run_publish": pgettext_lazy("audit", "发布示范区指数"),
        },
    ),
    (
        pgettext_lazy("audit group", "账户与安全"),
        {
            "organisation.create": pgettext_lazy("audit", "创建机构"),
            "organisation.second_factor": pgettext_lazy("audit", "设置机构双因素认证要求"),
            "user.create": pgettext_lazy("audit", "创建用户"),
            "api_token.issue": pgettext_lazy("audit", "签发接口令牌"),
            "api_token.revoke": pgettext_lazy("audit", "撤销接口令牌"),
            "second_factor.enable": pgettext_lazy("audit", "启用双因素认证"),
            "second_factor.disable": pgettext_lazy("audit", "停用双因素认证"),
            "second_factor.reset": pgettext_lazy("audit", "重置双因素认证"),
            "second_factor.recovery_code_used": pgettext_lazy("audit", "使用恢复码登录"),
            "second_factor.recovery_codes_renew": pgettext_lazy("audit", "重新生成恢复码"),
            "login.locked": pgettext_lazy("audit", "登录失败次数过多，账户暂时锁定"),
            "login.address_limited": pgettext_lazy("audit", "同一地址登录失败过多，暂停受理"),
            "supervision.open": pgettext_lazy("audit", "开立监管案件"),
            "supervision.close": pgettext_lazy("audit", "办结监管案件"),
            "supervision.read": pgettext_lazy("audit", "监管查阅"),
            "calendar.arrangement_save": pgettext_lazy("audit", "保存节假日安排"),
        },
    ),
)

ACTION_LABELS: dict[str, Promise] = {
    code: label for _group, labels in ACTION_GROUPS for code, label in labels.items()
}

# The register's events get one label, naming the event by the register's own label.
_RIGHT_EVENT = pgettext_lazy("audit", "记载权利事件：%(event)s")
_RIGHT_EVENTS_GROUP = pgettext_lazy("audit group", "知识产权登记簿事件")

# The kinds of object the records name: singular ("Pledge #12"), in the trail's words.
OBJECT_LABELS: dict[str, Promise] = {
    "accounts.organisation": pgettext_lazy("audit", "机构"),
    "accounts.user": pgettext_lazy("audit", "用户"),
    "accounts.apitoken": pgettext_lazy("audit", "接口令牌"),
    "accounts.supervisioncase": pgettext_lazy("audit", "监管案件"),
    "accounts.loginattempt": pgettext_lazy("audit", "登录尝试"),
    "holidays.holidayarrangement": pgettext_lazy("audit", "节假日安排"),
    "registry.right": pgettext_lazy("audit", "知识产权"),
    "pledges.pledge": pgettext_lazy("audit", "质押登记"),
    "pledges.pledgechange": pgettext_lazy("audit", "质押变更申请"),
    "pledges.annuitydeposit": pgettext_lazy("audit", "预缴年费"),
    "valuation.valuation": pgettext_lazy("audit", "评估报告"),
    "valuation.bankvaluationmodel": pgettext_lazy("audit", "银行内部评估模型"),
    "valuation.enterprisecreditprofile": pgettext_lazy("audit", "企业信用画像"),
    "valuation.scorerun": pgettext_lazy("audit", "价值度评分批次"),
    "valuation.agencyseal": pgettext_lazy("audit", "评估机构印章"),
    "financing.product": pgettext_lazy("audit", "金融产品"),
    "financing.policy": pgettext_lazy("audit", "政策"),
    "financing.demand": pgettext_lazy("audit", "融资需求"),
    "financing.demandresponse": pgettext_lazy("audit", "对接台账"),
    "loans.loan": pgettext_lazy("audit", "贷款"),
    "loans.subsidyclaim": pgettext_lazy("audit", "贴息申请"),
    "loans.subsidyallocationrun": pgettext_lazy("audit", "贴息核定"),
    "whitelist.importedlist": pgettext_lazy("audit", "导入名单"),
    "whitelist.screeningrule": pgettext_lazy("audit", "筛选规则"),
    "whitelist.whitelistbatch": pgettext_lazy("audit", "白名单批次"),
    "whitelist.whitelistfollowup": pgettext_lazy("audit", "白名单跟进记录"),
    "whitelist.bankrecommendation": pgettext_lazy("audit", "银行推荐"),
    "risk.riskscheme": pgettext_lazy("audit", "风险补偿方案"),
    "risk.riskclaim": pgettext_lazy("audit", "风险补偿申请"),
    "risk.ledgerentry": pgettext_lazy("audit", "基金记账凭证"),
    "risk.riskalert": pgettext_lazy("audit", "风险预警"),
    "risk.banknplreport": pgettext_lazy("audit", "不良贷款率报送"),
    "risk.scan": pgettext_lazy("audit", "风险扫描"),  # not a model: the daily scan, by its date
    "disposals.disposal": pgettext_lazy("audit", "质物处置"),
}
NON_MODEL_OBJECTS = frozenset({"risk.scan"})

# registry.import names its data source as the object's id (ipfin.registry.import_mapping.Format).
IMPORT_SOURCE_LABELS: dict[str, Promise] = {
    "cn-patents-cnipr-export": pgettext_lazy("audit", "CNIPR 专利数据导出"),
    "cn-patents-legal-status-sample": pgettext_lazy("audit", "专利法律状态数据"),
    "cn-ip-qichacha-records/patents": pgettext_lazy("audit", "企查查专利数据"),
    "cn-ip-qichacha-records/trademarks": pgettext_lazy("audit", "企查查商标数据"),
    "lens-patent-samples": pgettext_lazy("audit", "Lens 专利数据"),
    "cn-patents-cnki-citations": pgettext_lazy("audit", "知网专利引文数据"),
    "cn-patents-cnki-material-chem": pgettext_lazy("audit", "知网材料化学专利数据"),
}
_IMPORT_SOURCE = pgettext_lazy("audit", "数据来源：%(source)s")
_OTHER_SOURCE = pgettext_lazy("audit", "外部数据源")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def right_event_types() -> list[tuple[str, str]]:
    """The register's event types as (value, label), from RightEvent.type's choices."""
    field = apps.get_model("registry", "RightEvent")._meta.get_field("type")
    return [(str(value), str(label)) for value, label in field.flatchoices]


def _right_event_text(event: str) -> str:
    return str(_RIGHT_EVENT) % {"event": event}


def _right_event_label(code: str) -> str | None:
    if not code.startswith(RIGHT_EVENT_PREFIX):
        return None
    event = dict(right_event_types()).get(code.removeprefix(RIGHT_EVENT_PREFIX))
    return None if event is None else _right_event_text(event)


def is_known_action(code: str) -> bool:
    return code in ACTION_LABELS or _right_event_label(code) is not None


def action_label(code: str) -> str:
    """The action's label in the active language; "其他操作" for a code with none."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    return _right_event_label(code) or str(OTHER_ACTION)


def all_action_codes() -> list[str]:
    """Every code with a label: the table's and the register's events."""
    return [*ACTION_LABELS, *(RIGHT_EVENT_PREFIX + value for value, _l in right_event_types())]


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options by area: (group label, [(code, label), ...]), the register's
    events after the register's own actions."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for group, labels in ACTION_GROUPS:
        groups.append((str(group), [(code, str(label)) for code, label in labels.items()]))
        if "right.create" in labels:
            events = [
                (RIGHT_EVENT_PREFIX + value, _right_event_text(event))
                for value, event in right_event_types()
            ]
            groups.append((str(_RIGHT_EVENTS_GROUP), events))
    return groups


def _model_label(object_type: str) -> str | None:
    """The model's verbose_name when the model sets one (an automatic one is English words)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    if "verbose_name" not in getattr(model._meta, "original_attrs", {}):
        return None
    return str(model._meta.verbose_name)


def object_label(object_type: str) -> str:
    """The label of the object's kind; "其他对象" for a kind with none."""
    label = OBJECT_LABELS.get(object_type)
    if label is not None:
        return str(label)
    return _model_label(object_type) or str(OTHER_OBJECT)


def is_known_object(object_type: str) -> bool:
    return object_type in OBJECT_LABELS or _model_label(object_type) is not None


def object_text(object_type: str, object_id: str, action: str = "") -> str:
    """How a record names its object: "<label> #<id>" for a row's number, the date of the daily
    scan, the data source of an import; only the kind when the id is some other code."""
    label = object_label(object_type)
    if not object_id:
        return label
    if object_id.isdigit():
        return f"{label} #{object_id}"
    if action in ("registry.import", "registry.import.interrupted"):
        source = IMPORT_SOURCE_LABELS.get(object_id, _OTHER_SOURCE)
        return str(_IMPORT_SOURCE) % {"source": source}
    if _DATE.fullmatch(object_id):
        return f"{label} {object_id}"
    return label


def object_type_choices() -> list[tuple[str, str]]:
    """The object filter's options: the kinds the trail names, app by app."""
    return [(object_type, str(label)) for object_type, label in OBJECT_LABELS.items()]


def all_messages() -> Iterator[Promise]:
    """Every message of the module (the tests check each has its English)."""
    yield OTHER_ACTION
    yield OTHER_OBJECT
    yield _RIGHT_EVENT
    yield _RIGHT_EVENTS_GROUP
    yield _IMPORT_SOURCE
    yield _OTHER_SOURCE
    for group, labels in ACTION_GROUPS:
        yield group
        yield from labels.values()
    yield from OBJECT_LABELS.values()
    yield from IMPORT_SOURCE_LABELS.values()
