"""What every form shares: the one way to show a refused save, the edit cycle (snapshot → form →
attempt → outcome → rerun), links that survive a page opened on its own, and numbers as a
person edits them."""

from collections.abc import Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ctg_data import formats as fmt
from ctg_data.accounts import AccountError
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.queries.history import conflict_lines
from ctg_data.rules import plausibility
from ctg_data.ui.data import engine
from ctg_data.ui.text import escape_markdown
from ctg_data.validation import Field

NOTHING_WRITTEN = "Rien n'a été enregistré."
# Streamlit's date picker allows ten years around today by default: too narrow for a history.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
R = TypeVar("R")
Describe = Callable[[list[tuple[str, object, object]]], list[str]]  # a conflict's changes, in French
S = TypeVar("S")


def link(page: str, label: str, query_params: dict | None = None, icon: str | None = None) -> None:
    """A link to another page of the app. A page run on its own (a test, a server started on
    one file) does not know the others: the link is then left out rather than failing."""
    with suppress(StreamlitAPIException):
        st.page_link(page, label=label, query_params=query_params, icon=icon)


def history_link(kind: str, key: str) -> None:
    link(
        "pages/historique.py",
        "Historique des modifications",
        {"objet": kind, "id": str(key)},
        icon=":material/history:",
    )


def links_beside_history(
    page: str, label: str, icon: str, kind: str, key: str, query_params: dict | None = None
) -> None:
    """How a form page ends: a link to the related page beside the record's history."""
    left, right = st.columns(2)
    with left:
        link(page, label, query_params, icon=icon)
    with right:
        history_link(kind, key)


def date_field(label: str, *, value: date | None, key: str, where: Any = st, **options: Any) -> date | None:
    """A date typed and shown DD/MM/YYYY, as French users write it."""
    return where.date_input(
        label, value=value, min_value=FIRST_DAY, max_value=LAST_DAY, format="DD/MM/YYYY", key=key, **options
    )


def override_input(key: str, when: str, where: Any = st) -> str:
    """The reason for a derogation (a date or a year outside the convention), `when` saying when
    it is asked for; its widget key is `key`_override."""
    text: str = where.text_input(f"{Field.OVERRIDE} ({when})", key=f"{key}_override")
    return text


def confirm_input(key: str, where: Any = st) -> bool:
    """« Je confirme cette valeur »: what lets a value ten times (or a tenth of) the previous one
    be saved once the person has seen the warning (rules.plausibility.far_from_previous)."""
    confirmed: bool = where.checkbox(
        plausibility.CONFIRM,
        key=f"{key}_confirm",
        help="Seulement pour une valeur au moins 10 fois plus grande, ou 10 fois plus petite, que la précédente, "
        "après l'avoir vérifiée : la confirmation est gardée dans l'historique.",
    )
    return confirmed


def refusal(error: Exception, table: str | None = None, describe: Describe | None = None) -> None:
    """The one way a refused save is shown, in French: a ValidationError names each field, a
    ConflictError says what changed (labelled by `table`'s fields, or by `describe`), a refusal
    of rights or of an account operation says why. Anything else is not a refusal: raised."""
    if isinstance(error, ValidationError):
        lines = "\n".join(
            f"- **{escape_markdown(name)}** : {escape_markdown(message)}" for name, message in error.errors.items()
        )
        st.error(f"{NOTHING_WRITTEN} Corrigez :\n\n{lines}")
    elif isinstance(error, ConflictError):
        if describe is not None:
            changes = describe(error.changes)
        else:
            changes = conflict_lines(engine(), table, error.changes) if table else []
        details = "\n".join(f"- {escape_markdown(line)}" for line in changes)
        st.warning(
            escape_markdown(str(error))
            + (f"\n\nCe qui a changé (à l'ouverture → maintenant) :\n\n{details}" if details else "")
            + "\n\nVotre saisie est conservée : vérifiez-la, puis enregistrez à nouveau pour l'appliquer."
        )
    elif isinstance(error, PermissionDenied | AccountError):
        st.error(f"{escape_markdown(str(error))} {NOTHING_WRITTEN}")
    else:
        raise error


REFUSALS = (ValidationError, ConflictError, PermissionDenied, AccountError)


def attempt(
    save: Callable[[], R],
    table: str | None = None,
    on_conflict: Callable[[], None] | None = None,
    describe: Describe | None = None,
) -> R | None:
    """Run a service call; on a refusal show it and return None. `on_conflict` runs after a
    ConflictError is shown (typically: the form now compares with what is saved, so that saving
    again applies the person's input knowingly). A database failure is not a refusal: it goes
    up to the page's boundary (ctg_data.ui.boundary), the form and its input staying on screen."""
    try:
        return save()
    except REFUSALS as error:
        _refused(error, table, describe, on_conflict)
        return None


def _refused(
    error: Exception, table: str | None, describe: Describe | None, on_conflict: Callable[[], None] | None
) -> None:
    refusal(error, table, describe)
    if isinstance(error, ConflictError) and on_conflict is not None:
        on_conflict()


@dataclass(frozen=True)
class EditCycle:
    """The edit cycle of a form, for one page (or tab): the snapshot the form was opened from,
    widget keys that start afresh after a save, the save attempted (refusals shown), then the
    outcome kept for the next run and the page run again. Session keys start with `name`."""

    name: str

    @property
    def generation(self) -> int:
        """Bumped after each save: widget keys carrying it give fresh widgets."""
        return counter(f"{self.name}_generation")

    def key(self, *parts: object) -> str:
        return "_".join([f"{self.name}_form", *map(str, parts), str(self.generation)])

    def snapshot(self, record: Hashable, load: Callable[[], S]) -> S:
        """The record as read when its form was opened (or after its last save here): a save
        sends it back, so that the service can tell what someone else changed meanwhile."""
        return opened(f"{self.name}_opened", record, load)

    def open(self, record: Hashable, load: Callable[[], S | None], gone: str) -> S | None:
        """The snapshot of an existing record; None, with `gone` said, when it no longer exists."""
        snapshot = self.snapshot(record, load)
        if snapshot is None:
            st.warning(gone)
        return snapshot

    def forget(self, record: Hashable) -> None:
        st.session_state.get(f"{self.name}_opened", {}).pop(record, None)

    def restart(self, record: Hashable) -> None:
        """Start the form again from the record as stored now, the person's input dropped."""
        self.forget(record)
        bump(f"{self.name}_generation")

    def outcome(self) -> Any:
        """What the last save left for this run: a sentence is shown as a success."""
        done = st.session_state.pop(f"{self.name}_done", None)
        if isinstance(done, str):
            st.success(escape_markdown(done), icon=":material/check_circle:")
        return done

    def save(
        self,
        call: Callable[[], R],
        *,
        table: str | None = None,
        record: Hashable = None,
        load: Callable[[], Any] | None = None,
        outcome: Callable[[R], Any] = lambda result: getattr(result, "message", None),
        then: Callable[[R], None] | None = None,
        on_conflict: Callable[[], None] | None = None,
        describe: Describe | None = None,
    ) -> None:
        """Attempt `call`. Refused: the refusal is shown and, after a conflict, the snapshot is
        read again (`load`) so that saving again applies the input knowingly. Saved: the new
        snapshot is kept (the result's `opened`, else read again at the next run), `outcome(result)`
        is kept for the next run, `then(result)` runs, and the page runs again with fresh widgets."""

        def conflicted() -> None:
            if load is not None:
                reopen(f"{self.name}_opened", record, load())
            if on_conflict is not None:
                on_conflict()

        try:
            result = call()  # may be None (an operation with nothing to return): saved all the same
        except REFUSALS as error:
            _refused(error, table, describe, conflicted)
            return
        if record is not None:
            snapshot = getattr(result, "opened", None)
            if snapshot is None:
                self.forget(record)
            else:
                reopen(f"{self.name}_opened", record, snapshot)
        flash(f"{self.name}_done", outcome(result))
        if then is not None:
            then(result)
        bump(f"{self.name}_generation")
        st.rerun()


def versioned(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The arguments that tell a save which record the form was opened on (None: a new one), so
    that the service refuses a record someone else saved meanwhile."""
    return {"expected_version": None if snapshot is None else snapshot["version"], "opened": snapshot}


def opened(key: str, record_key: Hashable, load: Callable[[], S]) -> S:
    """The snapshot a form was opened from, kept for the session so that a save compares it with
    the database (optimistic locking) instead of re-reading it on every run."""
    held = st.session_state.setdefault(key, {})
    if record_key not in held:
        held[record_key] = load()
    result: S = held[record_key]
    return result


def reopen(key: str, record_key: Hashable, snapshot: object) -> None:
    st.session_state.setdefault(key, {})[record_key] = snapshot


def counter(key: str) -> int:
    """A number in widget keys: bumped after a save, it gives fresh, empty widgets."""
    return st.session_state.setdefault(key, 0)


def bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def flash(key: str, payload) -> None:
    """Keep something to show on the next run (after `st.rerun()`)."""
    st.session_state[key] = payload


def editable(value) -> str:
    """A stored number as a person would type it: no thousands separator, decimal comma."""
    if fmt.missing(value):
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f").replace(".", ",")
