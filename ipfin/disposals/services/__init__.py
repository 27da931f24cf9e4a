"""Writes of a disposal (质物处置, issue 12 "Disposal"; DOMAIN.md glossary "disposal"): one
function per transition of ipfin.disposals.domain, each checking the permission, locking the
listing's row, asking the pure rules, saving, writing the audit record and telling the parties.

- `disposal_create` (the pledgee bank, `Perm.DISPOSAL_MANAGE`): lists its registered pledge (another
  bank's is a 422 `pledge_not_found` naming `pledge_id`; not registered, 409
  `pledge_not_registered`) securing one defaulted loan: disbursed and classified 次级, 可疑 or 损失
  (《商业银行金融资产风险分类办法》 arts. 10-12), or written off (核销: 账销案存, the pledge
  survives the write-off), not repaid in full (closed or not: the debt and the pledge with it are
  extinguished, 民法典 art. 393(1)); any other loan is a 409 `loan_not_defaulted`, a pledge still
  securing another loan not closed a 409 `pledge_secures_other_loans` (how a price would be shared
  between two debts is not built). One live listing per pledge (409 `disposal_exists`, also under
  concurrent requests: a partial unique index). The reserve rests on `valuation_id`, a valuation the
  bank may rely on as for a loan approval (its own, or an agency's report it rechecked unflagged:
  ipfin.valuation.selectors.loan_backing_refusal) of exactly the pledge's rights (422
  `valuation_rights_mismatch`), based at most 12 months before the listing day (422
  `valuation_stale`), and the reserve is at least 70 % of its value (422 `reserve_below_floor` with
  the floor). The listing day is today or later (422 `listed_on_in_past`: the 180 days of the
  backstop run from it), the close at least 24 hours after the listing day begins (422
  `closes_at_too_soon`).
- `bid_place` (`Perm.DISPOSAL_BID`: enterprises, banks, insurers, guarantors; never the pledgee, the
  pledgor or the borrower: 403 `party_may_not_bid` — the pledgee buying its own collateral would be
  the forfeiture 民法典 art. 428 voids, the pledgor and the debtor would rather pay the debt): under
  the listing's row lock, the bidding rule (409 `bid_too_low` with the minimum, `bidding_closed`,
  `bidding_not_open`; a backstopped, completed or withdrawn listing, 409 `illegal_transition`; the
  pledge no longer registered, 409 `pledge_not_registered`, or the loan no longer defaulted, 409
  `loan_not_defaulted`: `still_realisable`) and the anti-sniping close. Concurrent bids queue on the
  lock: each sees the one before, the highest valid bid leads, no accepted bid is lost, a bid a
  concurrent one overtook is a 409 `bid_too_low`. The bidder it overtook is told.
- `disposal_backstop` (`Perm.DISPOSAL_BACKSTOP`: a trading centre, the designated institution):
  buys a listing with no bid (409 `bid_stands`) from the 181st day after the listing day (409
  `backstop_too_early` with `backstop_from`), at its price; not once the pledge is released or
  the loan no longer defaulted (409 `pledge_not_registered`, `loan_not_defaulted`).
- `disposal_complete` (the pledgee bank, the seller; another bank's listing is a 404): after the
  close with a bid standing (409 `bidding_open` before it, `no_bid` without one), or once
  backstopped, the pledge still registered and the loan still defaulted (409
  `pledge_not_registered`, `loan_not_defaulted`). In one transaction: the transfer of every pledged
  right to the buyer recorded in the register, the pledgee's consent being the sale itself
  (ipfin.registry.services.right_transfer_on_realisation; 民法典 art. 444); the pledge released with
  basis `realised` (民法典 art. 436); the price applied (domain.split_proceeds): the disposal costs
  first, then the debt owed on the day, repaid through the loans app (`loan_repay` with that amount;
  a loan repaid in full is closed, `loan_close`), the rest returned to the pledgor (art. 438); a
  shortfall stays owed by the borrower and the loan open — writing it off is the bank's own decision
  with its reason (`loan_write_off`), not a side effect of the sale. A written-off loan takes no
  repayment (its state is final): the recovery is recorded here, on the disposal and its audit
  record. A compensation claim on the loan (not rejected) is named on the disposal and the IP office
  told the proceeds and the costs its settlement takes: `ipfin.risk.services.claim_settle` asks
  `Perm.RISK_CLAIM_REVIEW`, which only the IP office holds, so the seller's completion cannot post
  it; the office settles with these figures. The buyer, the pledgor and the borrower are told.
- `disposal_withdraw` (the pledgee bank, the seller, as for completion; another bank's listing is
  a 404): takes a listing down before completion (撤回挂牌), with its reason (422
  `reason_required`, `reason_too_long`): listed, bids or none (they lapse), or backstopped (the
  bank declines the trading centre's purchase); completed or withdrawn, 409 `illegal_transition`.
  The debt repaid, the loan closed or the pledge released while a listing is live (a pledge
  secures the debt and is extinguished with it, 民法典 arts. 436, 393(1)), the board refuses bids
  and the backstop and the bank withdraws; so too to list the pledge again at a new reserve after
  an auction that drew no bid (法释〔2016〕18号 art. 26): a withdrawn listing is not live. The
  pledgor and the borrower are told with the reason, each bidder and a declined trading centre
  of the withdrawal.
"""

from ipfin.disposals.services.bidding import bid_place, disposal_backstop
from ipfin.disposals.services.completion import disposal_complete
from ipfin.disposals.services.listing import disposal_create
from ipfin.disposals.services.withdrawal import disposal_withdraw

__all__ = [
    "bid_place",
    "disposal_backstop",
    "disposal_complete",
    "disposal_create",
    "disposal_withdraw",
]
