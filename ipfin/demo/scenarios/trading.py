"""Scenario: the trading board (知识产权运营). The city's IP operations centre (a trading centre,
login `centre`) records the board's deals. Enterprise A offers its chip-packaging patent for sale
(enterprise C is interested), its compiler patent for an exclusive licence, and an ordinary
licence of its pledged chip patent, which it agrees with enterprise C: the deal waits for bank
A's consent as pledgee (民法典 art. 444 ¶2)."""

from __future__ import annotations

from ipfin.accounts.models import OrganisationKind
from ipfin.demo.scenarios.base import History, demo_right, login
from ipfin.demo.scenarios.parties import Cast, enterprise_login, register_organisation
from ipfin.trading import services as trading

CENTRE = ("centre", "示范市知识产权运营中心", "110108")


def open_trading_board(cast: Cast, history: History) -> None:
    username, name, division = CENTRE
    login(
        username,
        register_organisation(OrganisationKind.TRADING_CENTRE, name, division, 660),
        first_name="运营中心",
    )
    firm_c = enterprise_login(cast.firms[2])
    day = history.today
    sale = trading.listing_create(
        actor=cast.enterprise_a,
        data={
            "number": demo_right("一种芯片封装散热结构").number,
            "kind": "sale",
            "price_kind": "fixed",
            "price": "800000.00",
            "terms": "转让价含全部技术资料；买方承担变更登记费用。",
        },
        today=day,
    )
    trading.interest_express(
        actor=firm_c, listing_id=sale.pk, offer="750000.00", message="拟用于新一代服务器散热模组。"
    )
    trading.listing_create(
        actor=cast.enterprise_a,
        data={
            "number": demo_right("存算一体芯片的编译优化方法").number,
            "kind": "licence",
            "licence_type": "exclusive",
            "price_kind": "reserve",
            "price": "300000.00",
            "terms": "独占许可五年，许可使用费一次性支付。",
        },
        today=day,
    )
    pledged = trading.listing_create(
        actor=cast.enterprise_a,
        data={
            "number": demo_right("一种低功耗存算一体芯片及其制备方法").number,
            "kind": "licence",
            "licence_type": "ordinary",
            "price_kind": "reserve",
            "price": "200000.00",
            "terms": "普通许可三年，按年支付许可使用费。",
        },
        today=day,
    )
    wanted = trading.interest_express(
        actor=firm_c, listing_id=pledged.pk, offer="220000.00", message="拟在边缘计算产品中实施。"
    )
    trading.deal_agree(
        actor=cast.enterprise_a,
        listing_id=pledged.pk,
        interest_id=wanted.pk,
        price="240000.00",
        today=day,
    )
