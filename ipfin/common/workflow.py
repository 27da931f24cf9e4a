"""Explicit state machines (Apache Fineract style): a transition table, one error for a refusal.

A workflow (a pledge registration, a loan) is a table {(state before, action): state after} with the
Chinese names of its states and actions. `Workflow.next_state` answers the state after an action or
raises `IllegalTransition` (a 409 at the API, with a stable code and a message in both languages);
`allowed_actions` lists what may happen next (the UI shows only those buttons). `None` as the state
before means "not filed yet". Pure: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from ipfin.common.errors import Conflict

__all__ = ["IllegalTransition", "Workflow", "WorkflowErrorCode", "transition_conflict"]

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class WorkflowErrorCode(StrEnum):
    ILLEGAL_TRANSITION = "illegal_transition"


class IllegalTransition(Exception):
    """An action the workflow does not allow in the current state (→ 409)."""

    code = WorkflowErrorCode.ILLEGAL_TRANSITION

    def __init__(
        self, state: StrEnum | None, action: StrEnum, message_zh: str, message_en: str
    ) -> None:
        super().__init__(message_en)
        self.state = state
        self.action = action
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Workflow(Generic[S, A]):
    """A transition table with the names its refusal messages need.

    `message_zh` / `message_en` are templates with `{state}` and `{action}`: the Chinese one gets
    the Chinese names (`state_zh`, `action_zh`; `not_filed_zh` for the state `None`), the English
    one the enum values (`none` for `None`).
    """

    state_type: type[S]
    action_type: type[A]
    transitions: Mapping[tuple[S | None, A], S]
    state_zh: Mapping[S, str]
    action_zh: Mapping[A, str]
    message_zh: str
    message_en: str
    not_filed_zh: str = "未申请"

    def next_state(self, state: S | str | None, action: A | str) -> S:
        """The state after `action`, or `IllegalTransition`; `ValueError` for an unknown name."""
        current = self.state_type(state) if state is not None else None
        act = self.action_type(action)
        try:
            return self.transitions[(current, act)]
        except KeyError:
            state_zh = self.state_zh[current] if current is not None else self.not_filed_zh
            raise IllegalTransition(
                current,
                act,
                self.message_zh.format(state=state_zh, action=self.action_zh[act]),
                self.message_en.format(
                    state=current.value if current is not None else "none", action=act.value
                ),
            ) from None

    def allowed_actions(self, state: S | str | None) -> frozenset[A]:
        current = self.state_type(state) if state is not None else None
        return frozenset(action for (before, action) in self.transitions if before == current)


def transition_conflict(exc: IllegalTransition) -> Conflict:
    """A refused transition as the services answer it: a 409 with the workflow's code, both
    messages, and the state and action it was refused for."""
    return Conflict(
        exc.message_zh,
        exc.message_en,
        code=exc.code.value,
        extra={
            "state": exc.state.value if exc.state is not None else None,
            "action": exc.action.value,
        },
    )
