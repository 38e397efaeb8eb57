"""The sign-in journal: sign-ins, failures, refusals, locks and sign-outs, in their own table.

They are not audit events: the read caches are keyed on the newest audit event, and a
stranger's failed attempts must not empty them (ctg_data.ui.data). The Journal page reads
both. What was typed in the e-mail field is kept only when it reads as an address: people
do type their password there, and the journal must never hold a secret.
"""

import json

from sqlmodel import Session

from ctg_data import models as m
from ctg_data.accounts.records import is_address, lookup_key

NOT_AN_ADDRESS = "(saisie qui n'est pas une adresse)"


def shown_address(typed: str) -> str:
    """What the journal may keep of a typed address."""
    key = lookup_key(typed)
    if not key:
        return "(vide)"
    return key if is_address(key) else NOT_AN_ADDRESS


def record(
    session: Session,
    operation: str,
    typed_email: str,
    *,
    user_id: int | None = None,
    client: str | None = None,
    **detail: object,
) -> None:
    session.add(
        m.SignInEvent(
            operation=operation,
            email=shown_address(typed_email),
            user_id=user_id,
            client=None if client is None else client[:64],
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None,
        )
    )
