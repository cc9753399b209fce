"""Who may do what: the four roles of issue 12 and the actions each may take.

A role is read from the signed-in user's ID-token claim (its name is a setting) or, when
the token carries none, from a site's roles file (``email,role``). Roles grow by
inclusion: a nurse may do what a viewer may, a physician what a nurse may, a lead what a
physician may. An unknown or missing role gets nothing: the monitor fails closed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dashboard.errors import MonitorUserError


class Action(StrEnum):
    READ = "read"  # see the ward, patients and protocols
    RECORD = "record"  # record doses and bedside entries
    ACKNOWLEDGE = "acknowledge"  # acknowledge and override findings
    IMPORT = "import"  # import data, choose the data source
    CHOOSE_PROTOCOL = "choose protocol"  # choose the protocol a ward or patient is assessed by


#: Least to most: each role may do what the ones before it may.
ROLES: tuple[str, ...] = ("viewer", "nurse", "physician", "lead")
_GRANTED: dict[str, frozenset[Action]] = {
    "viewer": frozenset({Action.READ}),
    "nurse": frozenset({Action.READ, Action.RECORD}),
    "physician": frozenset({Action.READ, Action.RECORD, Action.ACKNOWLEDGE}),
    "lead": frozenset(Action),
}


class AccessError(MonitorUserError):
    """The sign-in setup cannot decide roles (bad roles file, bad setting)."""


@dataclass(frozen=True)
class Person:
    """Who is using this session: ``who`` is shown and logged; ``signed_in`` is False in
    the demo and with --no-login (then everything is allowed, as before sign-in existed)."""

    who: str
    role: str
    signed_in: bool

    def may(self, action: Action) -> bool:
        return action in _GRANTED.get(self.role, frozenset())


#: The demo, and a ward started with --no-login: no sign-in, every action as before.
UNSIGNED = Person("no sign-in", "lead", False)


def read_roles_file(path: Path) -> dict[str, str]:
    """A roles file: CSV with the columns ``email,role``; emails compared case-blind."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise AccessError(f"The roles file {path} cannot be read.") from None
    roles: dict[str, str] = {}
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or {"email", "role"} - set(reader.fieldnames):
        raise AccessError(f"The roles file {path} needs the columns email,role.")
    for number, row in enumerate(reader, start=2):
        email = (row.get("email") or "").strip().lower()
        role = (row.get("role") or "").strip().lower()
        if not email or role not in ROLES:
            raise AccessError(
                f"The roles file {path}, line {number}: an email and one of "
                f"{', '.join(ROLES)} are needed."
            )
        roles[email] = role
    return roles


def role_of(claims: Mapping[str, object], claim: str, roles_by_email: Mapping[str, str]) -> str:
    """The role for a signed-in user's claims, or "" when none is known.

    The token's claim wins (the identity provider is the source of truth); a list of roles
    gives the widest known one. Without it, the roles file decides by email."""
    value = claims.get(claim)
    named = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    known = [str(v).strip().lower() for v in named if str(v).strip().lower() in ROLES]
    if known:
        return max(known, key=ROLES.index)
    email = str(claims.get("email") or "").strip().lower()
    return roles_by_email.get(email, "") if email else ""


def who_of(claims: Mapping[str, object]) -> str:
    """The name shown for a signed-in user: their email, else name, else subject."""
    for key in ("email", "name", "sub"):
        if claims.get(key):
            return str(claims[key])
    return "unknown user"
