"""Which loans a compensation scheme covers (补偿范围): the scheme's `eligibility`, a small JSON
object of conditions, each optional (absent or null: no condition), all of which a loan must meet:

- `bank_ids`: [int, ...] — the banks taking part in the scheme (合作银行); the lending bank is one;
- `product_ids`: [int, ...] — the loan was granted under one of these products (financing
  `Product` ids; a loan granted under no product does not meet it);
- `right_kinds`: ["invention", "utility_model", "design", "trademark", "copyright",
  "ic_layout", ...] — every right pledged for the loan is of one of these kinds;
- `max_principal`: "5000000.00" — the loan's approved principal is at most this (以下 includes
  the figure, 民法典 art. 1259).

`{}` covers every IP-pledge loan. A list is not empty (omit the condition instead), its items are
whole numbers or known kinds; an unknown key is refused. Every mistake is a 422
`eligibility_invalid` naming `eligibility.<key>` (`eligibility` for a body that is no object).

Pure: no Django. Source: issue 12 ("The office configures schemes: ... eligibility"); the
conditions are the ones a fund's scheme states in practice (participating banks, the products and
kinds of right it covers, a ceiling per loan). The policy seeds 000-003 are not kept in ../shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.registry.domain import RightKind

__all__ = ["CONDITIONS", "Eligibility", "Ineligible", "LoanFacts", "eligibility_in", "ineligible"]

CONDITIONS = ("bank_ids", "product_ids", "right_kinds", "max_principal")
_KINDS = [kind.value for kind in RightKind]


@dataclass(frozen=True)
class Eligibility:
    """A scheme's conditions; None: no such condition."""

    bank_ids: tuple[int, ...] | None = None
    product_ids: tuple[int, ...] | None = None
    right_kinds: tuple[str, ...] | None = None
    max_principal: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        """The conditions set, as stored and answered (money as a string with two decimals)."""
        data: dict[str, Any] = {}
        for key in ("bank_ids", "product_ids", "right_kinds"):
            value = getattr(self, key)
            if value is not None:
                data[key] = list(value)
        if self.max_principal is not None:
            data["max_principal"] = money_str(self.max_principal)
        return data


@dataclass(frozen=True)
class LoanFacts:
    """What the conditions ask of a loan."""

    bank_id: int
    product_id: int | None
    right_kinds: frozenset[str]
    principal: Decimal


@dataclass(frozen=True)
class Ineligible:
    """One condition the loan does not meet, in both languages."""

    condition: str
    zh: str
    en: str


def _refuse(key: str | None, zh: str, en: str) -> Exception:
    field = "eligibility" if key is None else f"eligibility.{key}"
    return invalid(field, "eligibility_invalid", zh, en)


def _ids(key: str, raw: Any) -> tuple[int, ...]:
    if not isinstance(raw, list | tuple) or not raw:
        raise _refuse(key, f"{key} 应为非空的编号列表。", f"{key} is a non-empty list of ids.")
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise _refuse(key, f"{key} 的编号“{item}”无效。", f"{key}: {item!r} is not an id.")
    return tuple(sorted(set(raw)))


def _kinds(raw: Any) -> tuple[str, ...]:
    key = "right_kinds"
    if not isinstance(raw, list | tuple) or not raw:
        raise _refuse(
            key, "right_kinds 应为非空的权利类型列表。", "right_kinds is a non-empty list."
        )
    for item in raw:
        if item not in _KINDS:
            raise _refuse(
                key,
                f"未知的权利类型“{item}”（可选：{', '.join(_KINDS)}）。",
                f"Unknown right kind {item!r} ({', '.join(_KINDS)}).",
            )
    return tuple(sorted(set(raw)))


def eligibility_in(raw: Mapping[str, Any] | None) -> Eligibility:
    """The conditions in `raw` (None: none), checked as the module docstring says."""
    if raw is None:
        return Eligibility()
    if not isinstance(raw, Mapping):
        raise _refuse(None, "适用条件应为对象。", "eligibility is an object of conditions.")
    unknown = sorted(str(k) for k in raw if k not in CONDITIONS)
    if unknown:
        raise _refuse(
            unknown[0],
            f"未知的适用条件“{unknown[0]}”（可选：{', '.join(CONDITIONS)}）。",
            f"Unknown condition {unknown[0]!r} ({', '.join(CONDITIONS)}).",
        )
    given = {k: v for k, v in raw.items() if v is not None}
    return Eligibility(
        bank_ids=_ids("bank_ids", given["bank_ids"]) if "bank_ids" in given else None,
        product_ids=_ids("product_ids", given["product_ids"]) if "product_ids" in given else None,
        right_kinds=_kinds(given["right_kinds"]) if "right_kinds" in given else None,
        max_principal=(
            amount_in(
                given["max_principal"],
                "eligibility.max_principal",
                label_zh="单笔贷款本金上限",
                label_en="max_principal",
            )
            if "max_principal" in given
            else None
        ),
    )


def ineligible(rule: Eligibility, loan: LoanFacts) -> list[Ineligible]:
    """The conditions of `rule` that `loan` does not meet (empty: it is covered)."""
    misses: list[Ineligible] = []
    if rule.bank_ids is not None and loan.bank_id not in rule.bank_ids:
        misses.append(
            Ineligible(
                "bank_ids", "贷款银行不是该方案的合作银行。", "The bank is not in the scheme."
            )
        )
    if rule.product_ids is not None and loan.product_id not in rule.product_ids:
        misses.append(
            Ineligible(
                "product_ids",
                "贷款产品不在该方案的适用产品之内。",
                "The loan's product is not covered by the scheme.",
            )
        )
    if rule.right_kinds is not None:
        other = sorted(loan.right_kinds - set(rule.right_kinds))
        if other or not loan.right_kinds:
            misses.append(
                Ineligible(
                    "right_kinds",
                    f"质押权利类型不在该方案的适用范围之内（{', '.join(other) or '无质押权利'}）。",
                    f"Pledged rights of kinds the scheme does not cover "
                    f"({', '.join(other) or 'no rights pledged'}).",
                )
            )
    if rule.max_principal is not None and loan.principal > rule.max_principal:
        misses.append(
            Ineligible(
                "max_principal",
                f"贷款本金超过该方案的单笔上限 {yuan_exact(rule.max_principal)}。",
                f"The principal is above the scheme's ceiling of {yuan_en(rule.max_principal)}.",
            )
        )
    return misses
