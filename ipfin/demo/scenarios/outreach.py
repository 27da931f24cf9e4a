"""Scenario `outreach`: the office's public library (宣传与服务资源库, issue 15). Three typical
cases and two service guides, published; a bank–enterprise matchmaking (银企对接) and a park
roadshow (入园惠企路演) in the coming weeks, open for registration, enterprise A and bank A
having registered one attendee each; four experts (专家库) and two talents (人才库) with their
fields of expertise. Everything through `ipfin.outreach.services`, by the office's examiner
(the IP office holds `Perm.OUTREACH_PUBLISH` whatever the role).

The people, workplaces, phone numbers (the 138 0013 8xxx demo block) and addresses
(example.com) are fictitious (演示用虚构)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import Cast
from ipfin.outreach import services as outreach
from ipfin.outreach.models import Article, Event, Expert

# (kind, title, summary, body, tags, region)
ARTICLES: list[tuple[str, str, str, str, list[str], str]] = [
    (
        "case",
        "集成电路设计企业以发明专利获得首笔贷款",
        "一家成立不久的芯片设计企业以 3 项发明专利质押，获得首笔银行贷款 300 万元。",
        "企业通过平台发布融资需求后，甲银行在对接台账中反馈有意向，委托评估机构以收益法评估。\n"
        "质押登记由银行与企业在线共同办理，审查通过后放款；企业按贴息政策申请了贴息。",
        ["首贷", "专利质押", "集成电路", "H01L"],
        "北京市海淀区",
    ),
    (
        "case",
        "新材料企业以专利和商标组合质押融资",
        "以 5 项实用新型专利和 1 件注册商标组合质押，获得贷款 500 万元。",
        "银行接受组合质押，质押率按评估值的 50% 确定；近似商标与被质押商标一并办理质押登记。",
        ["组合质押", "新材料", "C08K"],
        "江苏省苏州市",
    ),
    (
        "case",
        "软件企业借助保证保险和风险补偿获得信用增进",
        "软件著作权质押加保证保险，风险补偿基金分担损失，银行放款 200 万元。",
        "保险机构为贷款提供保证保险，风险补偿基金按方案比例分担可能的损失，银行据此提高了授信额度。",
        ["风险补偿", "软件著作权", "保险"],
        "浙江省杭州市",
    ),
    (
        "guide",
        "专利权质押登记在线办理指南",
        "出质人与质权人共同在线申请，上传合同，审查员在规定工作日内作出决定。",
        "一、由银行（质权人）在平台发起申请，填写被质押的专利和主债权。\n"
        "二、企业（出质人）在平台确认申请。\n"
        "三、上传质押合同；审查通过后出具质押登记通知书。",
        ["质押登记", "办事指南"],
        "",
    ),
    (
        "guide",
        "知识产权质押贷款贴息申请指南",
        "已还本付息的知识产权质押贷款，企业可按年度贴息政策在线申请贴息。",
        "企业在“贴息”页面选择贷款和政策年度提交申请；知识产权局审核后按预算核定贴息金额。",
        ["贴息", "办事指南"],
        "",
    ),
]

# (pool, name, workplace, title, fields, phone, email)
EXPERTS: list[tuple[str, str, str, str, list[str], str, str]] = [
    ("expert", "王立新", "示范大学信息科学学院", "教授", ["G06F", "H04L"], "13800138001",
     "wang.lixin@example.com"),
    ("expert", "李敏", "示范资产评估研究会", "资产评估师", ["G06F", "H01L", "集成电路"],
     "13800138002", "li.min@example.com"),
    ("expert", "张伟", "示范市知识产权保护中心", "高级工程师", ["C08K", "新材料"], "13800138003",
     "zhang.wei@example.com"),
    ("expert", "陈静", "示范律师事务所", "律师", ["G06F", "知识产权法律"], "13800138004",
     "chen.jing@example.com"),
    ("talent", "刘洋", "示范集成电路设计中心", "专利工程师", ["H01L", "集成电路"], "13800138005",
     ""),
    ("talent", "赵磊", "示范新材料研究院", "知识产权经理", ["C08K", "新材料"], "13800138006", ""),
]  # fmt: skip


@dataclass(frozen=True)
class Library:
    articles: list[Article]
    events: list[Event]
    experts: list[Expert]


def _at(day_offset: int, hour: int, history: History) -> datetime:
    """Beijing time on the day `day_offset` days from the demo's today."""
    return timezone.make_aware(
        datetime.combine(history.today + timedelta(days=day_offset), time(hour))
    )


def stock_library(cast: Cast, history: History) -> Library:
    office = cast.examiner
    articles = []
    for kind, title, summary, body, tags, region in ARTICLES:
        article = outreach.article_create(
            actor=office,
            kind=kind,
            title=title,
            summary=summary,
            body=body,
            tags=tags,
            region=region,
        )
        articles.append(outreach.article_publish(actor=office, article=article))
    matchmaking = outreach.event_create(
        actor=office,
        kind="bank_enterprise_matchmaking",
        title="知识产权质押融资银企对接会（海淀专场）",
        description="银行介绍知识产权质押贷款产品，企业现场对接融资需求。",
        starts_at=_at(14, 14, history),
        ends_at=_at(14, 17, history),
        venue="海淀示范科技园区会议中心",
        capacity=60,
        registration_deadline=_at(12, 18, history),
    )
    roadshow = outreach.event_create(
        actor=office,
        kind="park_roadshow",
        title="入园惠企：知识产权金融服务进园区",
        description="政策宣讲、典型案例分享和一对一融资咨询。",
        starts_at=_at(21, 9, history),
        ends_at=_at(21, 12, history),
        venue="苏州工业园区企业服务中心",
        capacity=40,
        registration_deadline=_at(20, 18, history),
    )
    events = [
        outreach.event_publish(actor=office, event=event) for event in (matchmaking, roadshow)
    ]
    outreach.event_register(
        actor=cast.enterprise_a, event=events[0], attendee_name="周总", phone="13800138011"
    )
    outreach.event_register(
        actor=cast.bank_a, event=events[0], attendee_name="吴经理", phone="13800138012"
    )
    experts = [
        outreach.expert_add(
            actor=office,
            pool=pool,
            name=name,
            organisation_name=workplace,
            title=title,
            fields=fields,
            phone=phone,
            email=email,
        )
        for pool, name, workplace, title, fields, phone, email in EXPERTS
    ]
    return Library(articles=articles, events=events, experts=experts)
