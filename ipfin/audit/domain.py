"""The audit trail's hash chain (pure rules, no Django).

Each record's hash is SHA-256 over the previous record's hash and the record's canonical JSON, so
that changing, removing or inserting any record breaks every hash after it. The canonical form is
the one a verifier gets back from the database: keys sorted, no whitespace, text as UTF-8, every
number as its plain decimal digits (1e16, 10000000000000000 and 10000000000000000.0 are the same
number whichever way a database's JSON type returns it), the time in UTC to the microsecond.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "GENESIS",
    "ChainBreak",
    "ChainLink",
    "canonical_json",
    "chain_hash",
    "first_break",
]

# The "previous hash" of the first record.
GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """`value` with every number as its plain decimal digits (a string) and tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = format(number.normalize(), "f")
        return "0" if text in {"-0", "0"} else text
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"not JSON data: {type(value).__name__}")


def canonical_json(fields: Mapping[str, Any]) -> str:
    """The record's fields as canonical JSON (see the module's docstring). `at` must be an aware
    datetime; everything else JSON data as the database returns it."""
    at = fields["at"]
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime")
    plain = _plain({k: v for k, v in fields.items() if k != "at"})
    plain["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash followed by the record's canonical JSON."""
    return hashlib.sha256((previous + canonical_json(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """One stored record as the verifier reads it: its place, its stored hashes, its fields."""

    seq: int
    record_id: int
    prev_hash: str
    hash: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ChainBreak:
    """The first record where the chain does not hold, and why (zh, en)."""

    seq: int
    record_id: int
    reason_zh: str
    reason_en: str


def first_break(
    links: Iterable[ChainLink], *, previous: str = GENESIS, expected_seq: int = 1
) -> tuple[int, ChainBreak | None]:
    """Walk `links` in chain order: (records checked, the first break or None). A break is a gap
    or repeat in the sequence (a record removed or inserted), a previous hash that is not the
    previous record's hash, or a hash that is not the one of the record's own content (a record
    changed). A walk from the middle of the chain starts after the record stored before its
    first link: that record's hash as `previous`, its seq + 1 as `expected_seq`; each link is
    then checked exactly as the walk from the start checks it when nothing before it broke."""
    checked = 0
    for link in links:
        checked += 1
        if link.seq != expected_seq:
            return checked, ChainBreak(
                link.seq, link.record_id,
                f"序号应为 {expected_seq}，实为 {link.seq}：有记录被删除或插入。",
                f"Sequence number {link.seq} where {expected_seq} was due: a record was removed "
                "or inserted.",
            )  # fmt: skip
        if link.prev_hash != previous:
            return checked, ChainBreak(
                link.seq, link.record_id,
                "所存前一哈希与前一条记录的哈希不一致。",
                "The stored previous hash is not the previous record's hash.",
            )  # fmt: skip
        if chain_hash(previous, link.fields) != link.hash:
            return checked, ChainBreak(
                link.seq, link.record_id,
                "记录内容与其哈希不符：该记录已被改动。",
                "The record's content does not match its hash: the record was changed.",
            )  # fmt: skip
        previous, expected_seq = link.hash, expected_seq + 1
    return checked, None


def iter_links(rows: Iterable[Mapping[str, Any]]) -> Iterator[ChainLink]:
    """ChainLinks from rows carrying seq, id, prev_hash, hash and the hashed fields."""
    for row in rows:
        fields = {k: v for k, v in row.items() if k not in {"seq", "id", "prev_hash", "hash"}}
        yield ChainLink(row["seq"], row["id"], row["prev_hash"], row["hash"], fields)
