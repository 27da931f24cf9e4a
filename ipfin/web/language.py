"""The page's language, asked in one place: whether it is English, and the separator between the
items of a list in it ("、" in Chinese, ", " in English)."""

from __future__ import annotations

from django.utils.translation import get_language

__all__ = ["is_english", "list_separator"]


def is_english() -> bool:
    """True when the active language is English (any variant), False for Chinese."""
    return (get_language() or "").startswith("en")


def list_separator() -> str:
    """ "、" between the items of a list in Chinese, ", " in English."""
    return ", " if is_english() else "、"
