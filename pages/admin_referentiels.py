"""Administration > Référentiels: the plan's actions, indicators, facilities, orientations and
the barème, created and edited one record at a time (ctg_data.services.referentials); and the
referentials administrators extend — domains, organisation types, facility types (with their
bonus eligibility), levers — added and relabelled (ctg_data.services.vocabularies).

The page is its list of tabs (SECTIONS): a tab is a title, a rendering function of the
convention context, and the roles that see it. Each record tab has a selector (type to search)
of the existing records and « Nouveau … », then a form. The form is built from the record as
read when it was selected, kept in the session with its version: a save sends both back, so a
record that someone else saved meanwhile is refused with what they changed, never silently
overwritten.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor, Role
from ctg_data.errors import PermissionDenied
from ctg_data.interchange.sheets import SHEETS_BY_NAME, Column
from ctg_data.queries import referentials
from ctg_data.queries.filters import today
from ctg_data.services import referentials as ref
from ctg_data.services import vocabularies
from ctg_data.ui.amendment_form import amendment_editor
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, date_field
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.text import escape_markdown
from ctg_data.vocabulary import (
    ActionStatus,
    Direction,
    Frequency,
    IndicatorNature,
    RateBasis,
    choice_labels,
)

load_records = cached_query(ref.list_records)
load_choices = cached_query(ref.form_choices)
# The referentials, by the resolver kind a `ref` column names (live: cached per data version).
REFERENTIALS = {
    "domain": cached_query(referentials.domains),
    "lever": cached_query(referentials.levers),
    "organisation_type": cached_query(referentials.organisation_types),
    "facility_type": cached_query(referentials.facility_types),
}

NEW = 0  # the selector's « Nouveau … » (record ids start at 1)
MONEY = {"budget_prevu", "plancher", "plafond"}  # shown with their cents
REFUSED = "L'accès aux référentiels est réservé aux administrateurs ; les conseillers CAF peuvent y modifier le barème."

# The French labels of the fixed vocabularies, by the column a form picks them for; those of the
# referentials (REFERENTIALS, by the kind a `ref` column names) are read from the database.
FIXED_CHOICES = {
    "statut": ActionStatus.labels(),
    "priorite": {1: "1 (haute)", 2: "2 (moyenne)", 3: "3 (basse)"},
    "sens": choice_labels(Direction),
    "frequence": choice_labels(Frequency),
    "nature": choice_labels(IndicatorNature),
    "psu": {True: "Oui", False: "Non"},
    "base": choice_labels(RateBasis),
}
LABELLED = set(FIXED_CHOICES) | set(REFERENTIALS)  # shown by label alone, not « code — name »

# A form shows its sheet's columns (docs/format.md), in their order, but for these, filled by
# import only; a column's kind in the sheet picks its widget: text, area, number (typed as
# text, French "1 234,56" accepted), int, date, choice, optional (a choice that may stay
# empty), multi.
IMPORT_ONLY = {"places_nouvelles", "date_places_nouvelles", "categorie_place", "portee", "taux_plancher"}
KIND_WIDGETS = {"code": "text", "text": "text", "int": "int", "date": "date", "list": "multi"}
NUMBER_KINDS = {"float", "decimal", "money", "rate"}
SPECIAL_WIDGETS = {"description": "area", "priorite": "optional"}  # a long text; a number picked by its label
# `pilote` / `gestionnaire`: the lead picked alone, then the co-pilots (co-managers) in their order.
SPECIAL_WIDGETS |= {"pilote": "lead", "gestionnaire": "lead"}


def _form(sheet: str) -> list[tuple[str, str, str | None]]:
    """(column, widget, choices) of each column a form shows."""
    return [_form_field(column) for column in ref.KINDS[sheet].columns if column.name not in IMPORT_ONLY]


def _form_field(column: Column) -> tuple[str, str, str | None]:
    if column.name in SPECIAL_WIDGETS:
        widget = SPECIAL_WIDGETS[column.name]
    elif column.kind in NUMBER_KINDS:
        widget = "number"
    else:
        widget = KIND_WIDGETS.get(column.kind, "choice" if column.required else "optional")
    source = column.ref or (column.name if widget in {"choice", "optional"} else None)
    return column.name, widget, source


@dataclass(frozen=True)
class Tab:
    sheet: str
    title: str
    new: str  # the selector's entry for a new record
    create: str  # the submit button of a new record


ACTIONS = Tab("actions", "Actions", "Nouvelle action", "Créer l'action")
INDICATORS = Tab("indicateurs", "Indicateurs", "Nouvel indicateur", "Créer l'indicateur")
FACILITIES = Tab("equipements", "Équipements", "Nouvel équipement", "Créer l'équipement")
ORIENTATIONS = Tab("orientations", "Orientations", "Nouvelle orientation", "Créer l'orientation")
RATES = Tab("bareme", "Barème", "Nouvelle ligne du barème", "Créer la ligne du barème")
DOMAINS = Tab("domaines", "Domaines", "Nouveau domaine", "Créer le domaine")
ORGANISATION_TYPES = Tab(
    "types_organisation", "Types d'organisation", "Nouveau type d'organisation", "Créer le type d'organisation"
)
FACILITY_TYPES = Tab(
    "types_equipement", "Types d'équipement", "Nouveau type d'équipement", "Créer le type d'équipement"
)
LEVERS = Tab("leviers", "Leviers", "Nouveau levier", "Créer le levier")
ADMINS = frozenset({Role.ADMIN})


def _may_edit_referentials(actor: Actor) -> None:
    # The page's own guard, should permissions.PAGE_ROLES ever open it to more roles.
    if actor.role not in {Role.ADMIN, Role.CONSEILLER}:
        raise PermissionDenied(REFUSED)


# ------------------------------------------------------------------ one tab


def _key(tab: Tab, name: str) -> str:
    return f"ref_{tab.sheet}_{name}"


def _cycle(tab: Tab) -> EditCycle:
    return EditCycle(f"ref_{tab.sheet}")


def _choices(context: ConventionContext) -> dict:
    """What the forms' choice lists offer: fixed vocabularies, referentials, this convention's records."""
    return (
        FIXED_CHOICES
        | {kind: referentials.labels(load()) for kind, load in REFERENTIALS.items()}
        | load_choices(context.convention_id)
    )


def _editor(tab: Tab, context: ConventionContext) -> None:
    choices = _choices(context)
    cycle = _cycle(tab)
    scoped = ref.KINDS[tab.sheet].scoped
    records = load_records(tab.sheet, context.convention_id if scoped else None)
    labels = {NEW: f"+ {tab.new}"} | {r["id"]: r["label"] for r in records}
    cycle.outcome()
    for warning in st.session_state.pop(_key(tab, "warnings"), []):  # of the last save: accepted, but said
        st.warning(escape_markdown(warning), icon=":material/warning:")
    selector = _key(tab, f"choice_{context.convention_id}" if scoped else "choice")
    pending = st.session_state.pop(_key(tab, "pending"), None)
    if pending in labels:
        st.session_state[selector] = pending
    chosen: int = st.selectbox(
        "Enregistrement à modifier (tapez pour chercher)",
        list(labels),
        key=selector,
        format_func=lambda record: labels[record],
        placeholder="Choisir un enregistrement",
    )
    # The record as read when it was chosen (or after its last save here), not as stored now.
    opened = cycle.snapshot(chosen, lambda: None if chosen == NEW else ref.open_record(engine(), tab.sheet, chosen))
    if chosen != NEW and opened is None:
        st.warning("Cet enregistrement n'existe plus : choisissez-en un autre.")
        return
    prefix = cycle.key(chosen)
    with st.form(_key(tab, "form")):
        values = _fields(tab.sheet, opened.values if opened else _defaults(tab.sheet), choices, prefix)
        reason = None
        if tab.sheet == "actions":
            reason = st.text_input(
                "Motif de dérogation",
                key=f"{prefix}_reason",
                help="Obligatoire seulement si une date sort de la période de la convention.",
            )
        st.caption("Les champs marqués * sont obligatoires.")
        submitted = st.form_submit_button(
            tab.create if opened is None else "Enregistrer les modifications", type="primary", key=_key(tab, "submit")
        )
    if submitted:
        _save(tab, context, opened, values, reason)
    if opened is not None:
        _delete(tab, context, opened)


def _defaults(sheet: str) -> dict:
    return {"statut": "a_venir", "annee": today().year} if sheet in {"actions", "bareme"} else {}


# ------------------------------------------------------------------ the form's fields


def _fields(sheet: str, values: dict, choices: dict, prefix: str) -> dict:
    required = {c.name for c in SHEETS_BY_NAME[sheet].columns if c.required}
    result = {}
    left, right = st.columns(2)
    for position, (column, widget, source) in enumerate(_form(sheet)):
        label = ref.label(column) + (" *" if column in required else "")
        key = f"{prefix}_{column}"
        value = values.get(column)
        place = st.container() if widget == "area" else (left if position % 2 == 0 else right)
        with place:
            result[column] = _widget(widget, label, value, source, choices.get(source), key)
    return result


def _widget(widget: str, label: str, value, source: str | None, options: dict | None, key: str):
    if widget == "text":
        return st.text_input(label, value=value or "", key=key)
    if widget == "area":
        return st.text_area(label, value=value or "", key=key)
    if widget == "number":
        return st.text_input(
            label,
            value=_as_text(value, cents=key.endswith(tuple(MONEY))),
            key=key,
            help="Exemples : 1234,56 ou 1 234,56",
        )
    if widget == "int":
        # A text field: a whole-number number_input would cut "33,7" to 33 without a word.
        return st.text_input(label, value="" if value is None else str(value), key=key, placeholder="—")
    if widget == "date":
        return date_field(label, value=value, key=key)
    named, vocabulary = options or {}, source or ""  # every choice widget declares both
    if widget == "lead":
        return _lead_and_others(label, value or [], named, vocabulary, key)
    if widget == "multi":
        return st.multiselect(
            label,
            list(named),
            default=[v for v in value or [] if v in named],
            key=key,
            format_func=lambda code: _option_text(code, vocabulary, named),
            placeholder="Aucun",
        )
    keys = ([None] if widget == "optional" else []) + list(named)
    index = keys.index(value) if value in keys else (0 if widget == "optional" else None)
    return st.selectbox(
        label,
        keys,
        index=index,
        key=key,
        placeholder="Choisir…",
        format_func=lambda code: fmt.DASH if code is None else _option_text(code, vocabulary, named),
    )


def _lead_and_others(label: str, codes: list, named: dict, vocabulary: str, key: str) -> list:
    """A lead (pilote, gestionnaire) and, after it, a multiselect of the others in their order:
    the value the service takes is the list, lead first."""
    keys = list(named)
    lead = st.selectbox(
        label,
        keys,
        index=keys.index(codes[0]) if codes and codes[0] in keys else None,
        key=key,
        placeholder="Choisir…",
        format_func=lambda code: _option_text(code, vocabulary, named),
    )
    others = st.multiselect(
        "Copilotes" if label.startswith("Pilote") else "Cogestionnaires",
        [code for code in keys if code != lead],
        default=[code for code in codes[1:] if code in named and code != lead],
        key=f"{key}_others",
        format_func=lambda code: _option_text(code, vocabulary, named),
        placeholder="Aucun",
        help="Gardés dans l'ordre où vous les choisissez, après le premier nommé.",
    )
    return [lead, *others] if lead is not None else []  # no lead: refused as a missing field


def _option_text(code, source: str, options: dict) -> str:
    """A fixed vocabulary by its French label; a record (organisation, commune…) by code and name."""
    return options.get(code, str(code)) if source in LABELLED else f"{code} — {options.get(code, '?')}"


def _as_text(value, *, cents: bool = False) -> str:
    """A stored number as a person would type it: decimal comma, no useless zeros (money keeps
    its cents)."""
    if value is None:
        return ""
    if isinstance(value, str):  # a step indicator's reference or target: a step code
        return value
    if cents:
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, float):
        return repr(value).removesuffix(".0").replace(".", ",")
    return format(value.normalize(), "f").replace(".", ",")


# ------------------------------------------------------------------ saving


def _save(tab: Tab, context: ConventionContext, opened: ref.Opened | None, values: dict, reason: str | None) -> None:
    if opened is None:
        _attempt(
            tab,
            NEW,
            lambda: ref.create(
                engine(),
                context.actor,
                tab.sheet,
                convention_id=context.convention_id,
                values=values,
                override_reason=reason,
            ),
            outcome=lambda _: "Enregistrement créé.",
            saved_id=lambda new_id: new_id,
        )
        return
    _attempt(
        tab,
        opened.id,
        _on_opened(ref.update, tab, context, opened, values=values, override_reason=reason),
        outcome=lambda changed: (
            "Enregistré : " + ", ".join(changed) + "." if changed else "Aucune modification : rien n'a été enregistré."
        ),
    )


def _on_opened(
    write: Callable[..., Any], tab: Tab, context: ConventionContext, opened: ref.Opened, **given: Any
) -> Callable[[], Any]:
    """A write to the record as it was opened: its version and values let the service refuse
    a record saved by someone else meanwhile."""
    return lambda: write(
        engine(),
        context.actor,
        tab.sheet,
        opened.id,
        expected_version=opened.version,
        opened=opened.values,
        **given,
    )


def _attempt(
    tab: Tab,
    record: int,
    call: Callable[[], Any],
    *,
    outcome: Callable[[Any], str],
    saved_id: Callable[[Any], int] | None = None,
) -> None:
    """Save through the form cycle; after a conflict the form compares with what is stored now
    (saving again applies the input) and offers to start again from it."""

    def pick(result: Any) -> None:
        saved = record if saved_id is None else saved_id(result)
        if saved_id is not None:
            st.session_state[_key(tab, "pending")] = saved
        if saved != NEW:  # (NEW after a deletion: nothing left to warn about)
            st.session_state[_key(tab, "warnings")] = ref.record_warnings(engine(), tab.sheet, saved)

    _cycle(tab).save(
        call,
        record=record,
        outcome=outcome,
        then=pick,
        describe=_change_lines,
        load=lambda: None if record == NEW else ref.open_record(engine(), tab.sheet, record),
        on_conflict=lambda: _offer_reload(tab, record),
    )


def _offer_reload(tab: Tab, record: int) -> None:
    # A callback: the click's run no longer shows the refusal, yet must still reload.
    st.button("Recharger la version enregistrée", key=_key(tab, "reload"), on_click=_cycle(tab).restart, args=(record,))


def _change_lines(changes: list[tuple[str, object, object]]) -> list[str]:
    return [f"{field} : {_shown(before)} → {_shown(after)}" for field, before, after in changes]


def _shown(value: object) -> str:
    if value is None or value == [] or value == "":
        return fmt.DASH
    if isinstance(value, date):
        return fmt.short_date(value)
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return _as_text(value) if not isinstance(value, str | int) else str(value)


def _delete(tab: Tab, context: ConventionContext, opened: ref.Opened) -> None:
    soft = tab.sheet == "actions"
    with st.expander("Supprimer cet enregistrement"):
        if soft:
            st.caption("L'action disparaît des vues ; elle reste dans la base et dans l'historique.")
        else:
            st.caption("Refusé tant que des données y sont rattachées (mesures, activité, financements, actions).")
        with st.form(_key(tab, "delete_form")):
            confirmed = st.checkbox("Je confirme la suppression", key=_key(tab, f"confirm_{opened.id}"))
            reason = st.text_input("Motif", key=_key(tab, f"delete_reason_{opened.id}"))
            clicked = st.form_submit_button("Supprimer", key=_key(tab, "delete"))
    if not clicked:
        return
    if not confirmed:
        st.warning("Cochez « Je confirme la suppression » pour supprimer.")
        return
    _attempt(
        tab,
        opened.id,
        _on_opened(ref.delete, tab, context, opened, reason=reason),
        outcome=lambda _: "Enregistrement supprimé.",
        saved_id=lambda _: NEW,
    )


# ------------------------------------------------------------------ the referentials administrators extend

NEW_ENTRY = ""  # the selector's « Nouveau … » (codes are never empty)
ENTRY_LOADERS = {
    "domaines": REFERENTIALS["domain"],
    "types_organisation": REFERENTIALS["organisation_type"],
    "types_equipement": REFERENTIALS["facility_type"],
    "leviers": REFERENTIALS["lever"],
}


def _entries_table(tab: Tab, entries: dict[str, referentials.Entry]) -> None:
    rows = [
        {"Code": e.code, "Libellé": e.label}
        | ({"Bonus territoire": "oui" if e.bonus else "non"} if tab.sheet == "types_equipement" else {})
        for e in entries.values()
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def _vocabulary_editor(tab: Tab, context: ConventionContext) -> None:
    """List the entries, then add one or change one's label (and a facility type's bonus);
    entries are never deleted: rows of any convention may use their code."""
    cycle = _cycle(tab)
    cycle.outcome()
    entries = ENTRY_LOADERS[tab.sheet]()
    _entries_table(tab, entries)
    labels = {NEW_ENTRY: f"+ {tab.new}"} | {code: f"{code} — {e.label}" for code, e in entries.items()}
    selector = _key(tab, "choice")
    pending = st.session_state.pop(_key(tab, "pending"), None)
    if pending in labels:
        st.session_state[selector] = pending
    chosen: str = st.selectbox(
        "Entrée à modifier (tapez pour chercher)",
        list(labels),
        key=selector,
        format_func=labels.__getitem__,
        placeholder="Choisir une entrée",
    )
    entry = entries.get(chosen)
    prefix = cycle.key(chosen or "new")
    limit = vocabularies.VOCABULARIES[tab.sheet].code_limit
    with st.form(_key(tab, "form")):
        code = st.text_input(
            "Code *",
            value=chosen,
            key=f"{prefix}_code",
            disabled=entry is not None,
            help=f"Lettres sans accent, chiffres, « - », « _ » ou « . » ; {limit} caractères au plus. "
            "Il ne change plus une fois créé.",
        )
        label = st.text_input("Libellé *", value=entry.label if entry else "", key=f"{prefix}_label")
        bonus = None
        if tab.sheet == "types_equipement":
            bonus = st.checkbox(
                "Ouvre droit au bonus territoire",
                value=bool(entry and entry.bonus),
                key=f"{prefix}_bonus",
                help="Non coché : les équipements de ce type sont « hors bonus » (dû 0,00 €).",
            )
        st.caption("Les champs marqués * sont obligatoires.")
        submitted = st.form_submit_button(
            tab.create if entry is None else "Enregistrer les modifications", type="primary", key=_key(tab, "submit")
        )
    if not submitted:
        return
    if entry is None:
        cycle.save(
            lambda: vocabularies.create(engine(), context.actor, tab.sheet, code=code, label=label, bonus=bool(bonus)),
            outcome=lambda created: f"« {created} » créé.",
            then=lambda created: st.session_state.__setitem__(_key(tab, "pending"), created),
        )
        return
    cycle.save(
        lambda: vocabularies.update(engine(), context.actor, tab.sheet, chosen, label=label, bonus=bonus),
        outcome=lambda changed: (
            "Enregistré : " + ", ".join(changed) + "." if changed else "Aucune modification : rien n'a été enregistré."
        ),
    )


# ------------------------------------------------------------------ the tabs


@dataclass(frozen=True)
class Section:
    """One tab of the page: its title, its rendering, and who sees it."""

    title: str
    render: Callable[[ConventionContext], None]
    roles: frozenset[Role] = ADMINS


def _records(tab: Tab) -> Callable[[ConventionContext], None]:
    return lambda context: _editor(tab, context)


def _vocabulary(tab: Tab) -> Callable[[ConventionContext], None]:
    return lambda context: _vocabulary_editor(tab, context)


# One line a tab: a new tab is a line here, calling its own module's rendering.
SECTIONS = (
    Section(ACTIONS.title, _records(ACTIONS)),
    Section(INDICATORS.title, _records(INDICATORS)),
    Section(FACILITIES.title, _records(FACILITIES)),
    Section(ORIENTATIONS.title, _records(ORIENTATIONS)),
    Section("Avenants", amendment_editor),
    Section(RATES.title, _records(RATES), roles=frozenset({Role.ADMIN, Role.CONSEILLER})),
    Section(DOMAINS.title, _vocabulary(DOMAINS)),
    Section(ORGANISATION_TYPES.title, _vocabulary(ORGANISATION_TYPES)),
    Section(FACILITY_TYPES.title, _vocabulary(FACILITY_TYPES)),
    Section(LEVERS.title, _vocabulary(LEVERS)),
)


@page("Référentiels", filters=(), guard=_may_edit_referentials)
def render(context: ConventionContext) -> None:
    role = context.actor.role
    sections = [section for section in SECTIONS if role in section.roles]
    if role == Role.CONSEILLER:
        st.info(
            "Conseiller CAF : vous pouvez modifier le barème ; les autres référentiels sont "
            "réservés aux administrateurs."
        )
    for section, container in zip(sections, st.tabs([s.title for s in sections]), strict=True):
        with container:
            section.render(context)
