"""Pure rules of the second factor: time-based one-time passwords and recovery codes.

TOTP is RFC 6238 over HOTP (RFC 4226) with the parameters every authenticator app uses by default
(Google Authenticator, Microsoft Authenticator, 腾讯身份验证器, FreeOTP): HMAC-SHA1, 6 digits, a
30-second step, a 160-bit secret given to the app as base32 in an ``otpauth://`` URI (shown as a QR
code). The codes themselves come from pyotp; what is ours:

- **Clock drift**: a code of the step before or after the current one is accepted (RFC 6238 §5.2
  recommends at most one step of transmission delay); nothing wider.
- **No replay** (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP"):
  a code is accepted only for a step later than the last step accepted for that user, so a code
  seen over a shoulder or in a proxy log cannot be used again, not even within its 30 seconds.
- **Recovery codes**: ten single-use codes of 10 characters from a 32-letter alphabet without
  look-alikes (50 bits each), shown once when the factor is turned on or the codes are renewed;
  only their SHA-256 (salted with the user's id) is stored. They are typed with or without the
  dash, in either case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

__all__ = [
    "RECOVERY_CODE_COUNT",
    "TOTP_DIGITS",
    "TOTP_PERIOD_SECONDS",
    "looks_like_totp",
    "new_recovery_codes",
    "new_totp_secret",
    "recovery_code_hash",
    "totp_code",
    "totp_matching_step",
    "totp_step",
    "totp_uri",
]

TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
# Steps accepted either side of the current one (RFC 6238 §5.2: one step of network delay).
TOTP_DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Crockford-like: digits and lower-case letters without i, l, o, u (read as 1, 1, 0, v).
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 10


def new_totp_secret() -> str:
    """A new shared secret: 160 random bits (RFC 4226 §4 R6 recommends 160) as 32 base32 letters."""
    return pyotp.random_base32(length=32)


def totp_step(at: datetime) -> int:
    """The RFC 6238 time step of `at` (an aware datetime): whole periods since the Unix epoch."""
    return int(at.timestamp()) // TOTP_PERIOD_SECONDS


def totp_code(secret: str, step: int) -> str:
    """The 6-digit code of `secret` at `step` (what the user's app shows during that step)."""
    return str(pyotp.TOTP(secret, digits=TOTP_DIGITS).generate_otp(step))


def looks_like_totp(text: str) -> bool:
    """True for 6 digits once spaces are removed (apps show "123 456"): a one-time password rather
    than a recovery code."""
    digits = "".join(text.split())
    return len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit()


def totp_matching_step(secret: str, text: str, at: datetime, *, after_step: int) -> int | None:
    """The step whose code `text` is, within one step of `at` and later than `after_step` (the last
    step accepted: no replay); None when it is none of them. Compared in constant time."""
    if not looks_like_totp(text):
        return None
    code = "".join(text.split())
    now = totp_step(at)
    for step in range(now - TOTP_DRIFT_STEPS, now + TOTP_DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """`count` new recovery codes, written "xxxxx-xxxxx" for reading aloud and copying."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _normalised_recovery_code(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -\t")


def recovery_code_hash(user_id: int, text: str) -> str:
    """What is stored of a recovery code, and what a typed one is compared with: SHA-256 over the
    user's id and the code without dashes or spaces, in lower case. The salt keeps one user's
    stored hashes useless against another's."""
    return hashlib.sha256(f"{user_id}:{_normalised_recovery_code(text)}".encode()).hexdigest()
