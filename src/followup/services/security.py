"""Slow salted hashes for staff passwords and patient self-report codes, and generation of codes
that are easy to read out over the phone.

New hashes are argon2id at OWASP's current parameters (19 MiB, 2 passes, 1 lane), each stored
with its own parameters (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``), so a later change of
parameters leaves every stored hash verifiable and ``needs_rehash`` says which to replace. Hashes
from earlier versions (``scrypt$N$r$p$salt$digest``) still verify; staff passwords are rehashed at
their next successful sign-in, patient codes simply expire.

A check for someone unknown still verifies a hash (a fixed dummy one), so the time a refusal
takes does not tell whether the ID or user name exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1. Tests may lower them by
# monkeypatching these constants; nothing outside the code can.
TIME_COST = 2
MEMORY_KIB = 19 * 1024
PARALLELISM = 1

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
_SCRYPT_MAXMEM = 256 * 1024 * 1024  # room for any scrypt hash followup ever stored


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def _hasher() -> PasswordHasher:
    return _hasher_for(TIME_COST, MEMORY_KIB, PARALLELISM)


@cache
def _dummy_hash_for(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher_for(time_cost, memory_kib, parallelism).hash(secrets.token_hex(16))


def dummy_hash() -> str:
    """A hash at the current parameters that no secret matches: what a refusal verifies
    against when there is nothing real to verify (unknown ID, locked, no active code)."""
    return _dummy_hash_for(TIME_COST, MEMORY_KIB, PARALLELISM)


def hash_secret(secret: str) -> str:
    """Hash a password or self-report code with argon2id and a fresh salt, for storing."""
    return _hasher().hash(secret)


def verify_secret(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` matches a stored hash (argon2id, or scrypt from earlier versions).
    With ``stored`` None the dummy hash is verified, at the same cost, and the answer is False."""
    if stored is None:
        _verify_argon2(secret, dummy_hash())
        return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(secret, stored)
    return _verify_argon2(secret, stored)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash is of an older scheme or parameters than new hashes get."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_argon2(secret: str, stored: str) -> bool:
    try:
        return _hasher().verify(stored, secret)
    except (VerificationError, InvalidHashError, ValueError):
        return False


def _verify_scrypt(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            secret.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_SCRYPT_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def new_code(length: int = 8) -> str:
    """A random self-report code like ``K7MQ-2XPD``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """Patients type codes with or without the dash, in any case."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned
