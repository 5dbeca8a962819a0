"""Password rules and hashing: what a new password must be, and scrypt at OWASP's cost.

Plain functions over strings, no storage, so the single-machine sign-in and the team server
apply the same rules. The common-password list ships in ``resources/`` with its licence.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from importlib import resources
from typing import NamedTuple

from followup.errors import FollowupError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "OWASP_SCRYPT",
    "SCRYPT_COST",
    "ScryptCost",
    "check_new_password",
    "common_passwords",
    "dummy_hash",
    "hash_cost",
    "hash_password",
    "is_common_password",
    "needs_rehash",
    "new_password_problem",
    "verify_password",
]

# NCSC: "three random words" make a password long enough to resist guessing and easy to keep.
MIN_PASSWORD_LENGTH = 12


class ScryptCost(NamedTuple):
    """scrypt's cost parameters: CPU/memory cost ``n``, block size ``r``, parallelism ``p``."""

    n: int
    r: int
    p: int


# OWASP's Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB, a few tenths of a second).
OWASP_SCRYPT = ScryptCost(n=2**17, r=8, p=1)
# The cost new hashes get. Tests lower it (tests/conftest.py) to keep the suite fast; a hash
# made at another cost is made again at this one at the next good sign-in.
SCRYPT_COST = OWASP_SCRYPT

# Stored hashes are read back as well as written: refuse absurd costs rather than let a damaged
# or planted hash take gigabytes or minutes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16


def _scrypt(password: str, salt: bytes, cost: ScryptCost, dklen: int) -> bytes:
    # OpenSSL refuses unless maxmem covers 128*r*(N+2) for V plus 128*r*p for B; the default
    # limit (32 MiB) is below what N=2^17 needs.
    maxmem = 128 * cost.r * (cost.n + 2 + cost.p) + 2**20
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        dklen=dklen,
        maxmem=maxmem,
    )


def hash_password(password: str, cost: ScryptCost | None = None) -> str:
    """``scrypt$N$r$p$salt$digest``: the cost is kept with the hash, so it can be raised later."""
    cost = cost or SCRYPT_COST
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost, 32)
    b64 = base64.b64encode
    return f"scrypt${cost.n}${cost.r}${cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def hash_cost(stored: str) -> ScryptCost | None:
    """The cost a stored hash was made with; None when it is not a hash this module reads."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        cost = ScryptCost(int(parts[1]), int(parts[2]), int(parts[3]))
    except ValueError:
        return None
    n_ok = 1 < cost.n <= _MAX_N and cost.n & (cost.n - 1) == 0
    if not n_ok or not 0 < cost.r <= _MAX_R or not 0 < cost.p <= _MAX_P:
        return None
    return cost


def verify_password(password: str, stored: str) -> bool:
    cost = hash_cost(stored)
    if cost is None:
        return False
    try:
        _, _, _, _, salt, digest = stored.split("$")
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), cost, len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True when a stored hash was made at another cost than new hashes get."""
    return hash_cost(stored) != SCRYPT_COST


def dummy_hash() -> str:
    """A well-formed hash at the current cost that no password matches, to check an unknown
    user's password against, so the time taken does not reveal which names exist. Random
    bytes stand in for the digest: it costs nothing to make, and checking it costs exactly
    one scrypt, as for a real user, even in a new process."""
    cost = SCRYPT_COST
    salt, digest = (base64.b64encode(secrets.token_bytes(k)).decode() for k in (16, 32))
    return f"scrypt${cost.n}${cost.r}${cost.p}${salt}${digest}"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower case (resources/common-passwords.txt)."""
    text = (
        resources.files("followup")
        .joinpath("resources/common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def is_common_password(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def new_password_problem(password: str) -> str | None:
    """What is wrong with a new password, as one sentence; None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters: three random words "
            "put together make a good one that is easy to remember (the NCSC's advice)."
        )
    if is_common_password(password) or len(set(password.lower())) < 3:
        return (
            "That password is one of the most common, which are the first an attacker tries; "
            "choose another, such as three random words put together."
        )
    return None


def check_new_password(password: str) -> None:
    """Raise ``FollowupError`` with the reason when a new password is not good enough."""
    problem = new_password_problem(password)
    if problem is not None:
        raise FollowupError(problem)
