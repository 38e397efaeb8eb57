"""« Appliquer une décision au plan », on the Comités page: a decision of a meeting (open or
closed) changes the plan through the plan's own validated services (services.meetings
`apply_decision_*`), the meeting kept as the reason in the record's history (« Décision du COPIL
du 12/03/2025 : … ») and the decision linked to what it changed.

Three kinds of change, each offered only to who may make it: a new échéance of an action (the
advisors and administrators who write the meetings also write the actions' follow-up), a new
target of an indicator and a new action (the plan: administrators). The records the decision is
already linked to are offered first. Refusals — a date outside the convention, a target before
the reference, a record saved by someone else since the form was opened — are shown in French
next to the form (ui.forms), the person's input kept; a confirmation is shown above it.
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.permissions import Capability, can
from ctg_data.queries import referentials
from ctg_data.rules.indicators import step_label, steps_of
from ctg_data.services import referentials as ref
from ctg_data.services.actions import ActionResult, action_for_edit
from ctg_data.services.meetings import (
    apply_decision_new_action,
    apply_decision_to_action,
    apply_decision_to_indicator,
    linkable_records,
)
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, date_field, editable, history_link, override_input, versioned
from ctg_data.ui.page import ConventionContext
from ctg_data.validation import Field
from ctg_data.vocabulary import ActionStatus

load_linkable = cached_query(linkable_records)
load_choices = cached_query(ref.form_choices)
load_domains = cached_query(referentials.domains)

PLAN = EditCycle("comites_plan")
TITLE = "Appliquer une décision au plan"
DATES, TARGET, NEW_ACTION = "Nouvelle échéance d'une action", "Nouvelle cible d'un indicateur", "Nouvelle action"
LINKED = " · liée à la décision"
ADMINS_ONLY = "réservé aux administrateurs, qui modifient le plan"
LAST_RECORD = f"{PLAN.name}_dernier"  # the record the last change made: a link to its history


def kinds_for(actor: Actor) -> list[str]:
    """The changes `actor` may make (the services check it again): the plan itself — a target, a
    new action — is the administrators'."""
    kinds = [DATES] if can(actor, Capability.WRITE_FOLLOW_UP) and can(actor, Capability.WRITE_MEETINGS) else []
    if can(actor, Capability.WRITE_PLAN) and can(actor, Capability.WRITE_REFERENTIALS):
        kinds += [TARGET, NEW_ACTION]
    return kinds


def apply_to_plan(context: ConventionContext, decisions: pd.DataFrame) -> None:
    """The form, for the decisions of one meeting (rows of queries.meetings.meeting_detail)."""
    kinds = kinds_for(context.actor)
    if decisions.empty or not kinds:
        return
    # The confirmation of the last change, just above the form, in a block always drawn: the
    # expander keeps its place on the page, so it stays open when the next run drops the message.
    with st.container():
        PLAN.outcome()
        last = st.session_state.get(LAST_RECORD)
        if last:
            history_link(*last)
    with st.expander(TITLE, icon=":material/published_with_changes:"):
        st.caption(
            "Le changement passe par les mêmes contrôles que la saisie du plan ; l'historique de l'élément "
            "modifié garde « Décision du … : … » comme motif, et la décision lui est liée."
        )
        texts = dict(zip((int(i) for i in decisions["id"]), decisions["text"], strict=True))
        decision_id = st.selectbox(
            "Décision à appliquer",
            list(texts),
            format_func=lambda id_: f"n° {id_} — {texts[id_][:80]}",
            key=f"{PLAN.name}_decision",
        )
        if decision_id is None:
            return
        if len(kinds) > 1:
            kind = st.radio("Changement", kinds, horizontal=True, key=f"{PLAN.name}_kind")
        else:
            kind = kinds[0]
            st.caption(f"Changement : {kind.lower()} (une nouvelle cible ou une nouvelle action : {ADMINS_ONLY}).")
        links = decisions.loc[decisions["id"] == decision_id, "links"].iloc[0]
        if kind == DATES:
            _action_dates(context, decision_id, links["action"])
        elif kind == TARGET:
            _indicator_target(context, decision_id, links["indicator"])
        elif kind == NEW_ACTION:
            _new_action(context, decision_id)


def _pick(label: str, records: dict[int, str], linked: list[int], key: str) -> int | None:
    """A record of the convention, those the decision is linked to first."""
    order = [i for i in linked if i in records] + [i for i in records if i not in linked]
    picked = st.selectbox(
        label,
        order,
        index=None,
        format_func=lambda id_: records[id_] + (LINKED if id_ in linked else ""),
        placeholder="Choisir (tapez pour chercher)…",
        key=key,
    )
    return None if picked is None else int(picked)


def _remember(kind: str, code: str) -> Callable[[Any], None]:
    return lambda _: st.session_state.__setitem__(LAST_RECORD, (kind, code))


# ------------------------------------------------------------------ an action's new dates


def _action_dates(context: ConventionContext, decision_id: int, linked: list[int]) -> None:
    actions = load_linkable(context.convention_id)["actions"]
    action_id = _pick("Action", actions, linked, f"{PLAN.name}_action_{decision_id}")
    if action_id is None:
        return
    record = ("action", action_id)
    snapshot = PLAN.open(record, lambda: action_for_edit(engine(), action_id), "Cette action n'existe plus.")
    if snapshot is None:
        return
    starts, ends = _day(snapshot["starts_on"]), _day(snapshot["ends_on"])
    card = context.card
    key = PLAN.key("dates", decision_id, action_id)
    with st.form(key):
        st.caption(
            f"Dates actuelles : du {fmt.short_date(starts)} au {fmt.short_date(ends)}. Convention du "
            f"{fmt.short_date(card.get('starts_on'))} au {fmt.short_date(card.get('ends_on'))}."
        )
        left, right = st.columns(2)
        starts_on = date_field(Field.STARTS_ON, value=starts, key=f"{key}_s", where=left)
        ends_on = date_field(Field.ENDS_ON, value=ends, key=f"{key}_e", where=right)
        outside = st.checkbox("Dates hors de la convention (justifiées par la décision)", key=f"{key}_outside")
        submitted = st.form_submit_button("Appliquer la nouvelle échéance", type="primary")
    if submitted:
        code = str(snapshot["code"])
        PLAN.save(
            lambda: apply_decision_to_action(
                engine(),
                context.actor,
                decision_id=decision_id,
                action_id=action_id,
                **versioned(snapshot),
                starts_on=starts_on,
                ends_on=ends_on,
                outside_convention=outside,
            ),
            table="actions",
            record=record,
            load=lambda: action_for_edit(engine(), action_id),
            outcome=lambda result: _dates_outcome(code, result),
            then=_remember("action", code),
        )


def _dates_outcome(code: str, result: ActionResult) -> str:
    if not result.changed:
        return result.message
    saved = result.opened
    return (
        f"Nouvelle échéance de l'action {code} enregistrée : du {fmt.short_date(_day(saved['starts_on']))} "
        f"au {fmt.short_date(_day(saved['ends_on']))}, avec la décision comme motif."
    )


def _day(value: object) -> date | None:
    """A date of a snapshot (ISO text) as a date widget takes it."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ------------------------------------------------------------------ an indicator's new target


def _indicator_target(context: ConventionContext, decision_id: int, linked: list[int]) -> None:
    indicators = load_linkable(context.convention_id)["indicators"]
    indicator_id = _pick("Indicateur", indicators, linked, f"{PLAN.name}_indicator_{decision_id}")
    if indicator_id is None:
        return
    record = ("indicateur", indicator_id)
    opened = PLAN.open(
        record, lambda: ref.open_record(engine(), "indicateurs", indicator_id), "Cet indicateur n'existe plus."
    )
    if opened is None:
        return
    values = opened.values
    steps = steps_of(values.get("nature"), values.get("etapes"))
    key = PLAN.key("cible", decision_id, indicator_id)
    with st.form(key):
        target, target_on = _shown(values.get("valeur_cible"), steps), fmt.short_date(values.get("date_cible"))
        st.caption(
            f"Cible actuelle : {target} au {target_on}"
            f" (référence : {_shown(values.get('valeur_reference'), steps)} au "
            f"{fmt.short_date(values.get('date_reference'))}, unité : {values.get('unite') or fmt.DASH})."
        )
        left, right = st.columns(2)
        if steps:
            current = values.get("valeur_cible")
            value: Any = left.selectbox(
                f"{ref.label('valeur_cible')} (étape) *",
                list(steps),
                index=list(steps).index(current) if current in steps else None,
                format_func=step_label,
                placeholder="Choisir…",
                key=f"{key}_v",
            )
        else:
            value = left.text_input(
                f"{ref.label('valeur_cible')} *",
                value=editable(values.get("valeur_cible")),
                placeholder="ex. 12,5",
                key=f"{key}_v",
            )
        on = date_field(f"{ref.label('date_cible')} *", value=values.get("date_cible"), key=f"{key}_d", where=right)
        submitted = st.form_submit_button("Appliquer la nouvelle cible", type="primary")
    if submitted:
        code = str(values["code"])
        PLAN.save(
            lambda: apply_decision_to_indicator(
                engine(),
                context.actor,
                decision_id=decision_id,
                indicator_id=indicator_id,
                expected_version=opened.version,
                opened=opened.values,
                target_value=value,
                target_on=on,
            ),
            record=record,
            load=lambda: ref.open_record(engine(), "indicateurs", indicator_id),
            outcome=lambda changed: (
                f"Nouvelle cible de l'indicateur {code} enregistrée ({', '.join(changed).lower()}), avec la décision "
                "comme motif."
                if changed
                else "Rien n'a changé : rien n'a été enregistré."
            ),
            then=_remember("indicateur", code),
            describe=_change_lines,
        )


def _shown(value: object, steps: tuple[str, ...] | None) -> str:
    if value is None or value == "":
        return fmt.DASH
    if steps and isinstance(value, str):
        return step_label(value)
    return fmt.smart_number(value) if isinstance(value, Decimal | int | float) else str(value)


def _change_lines(changes: list[tuple[str, object, object]]) -> list[str]:
    """A conflict's changes: the referentials' service names the fields in the form's words."""
    return [f"{field} : {_value_text(was)} → {_value_text(now)}" for field, was, now in changes]


def _value_text(value: object) -> str:
    if value is None or value == "" or value == []:
        return fmt.DASH
    if isinstance(value, date):
        return fmt.short_date(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt.smart_number(value)
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


# ------------------------------------------------------------------ a new action


def _new_action(context: ConventionContext, decision_id: int) -> None:
    choices = load_choices(context.convention_id)
    domains = referentials.labels(load_domains())
    organisations, orientations = choices["organisation"], choices["orientation"]
    statuses = ActionStatus.labels()
    key = PLAN.key("action", decision_id)
    with st.form(key):
        left, right = st.columns(2)
        code = left.text_input(f"{ref.label('code')} *", key=f"{key}_code", placeholder="ex. PE-3.1")
        title = right.text_input(f"{ref.label('intitule')} *", key=f"{key}_title")
        domain = left.selectbox(
            f"{ref.label('domaine')} *",
            list(domains),
            index=None,
            format_func=domains.__getitem__,
            placeholder="Choisir…",
            key=f"{key}_domain",
        )
        orientation = right.selectbox(
            ref.label("orientation"),
            [None, *orientations],
            format_func=lambda c: fmt.DASH if c is None else f"{c} — {orientations[c]}",
            key=f"{key}_orientation",
        )
        pilot = left.selectbox(
            f"{ref.label('pilote')} *",
            list(organisations),
            index=None,
            format_func=organisations.__getitem__,
            placeholder="Choisir…",
            key=f"{key}_pilot",
        )
        partners = right.multiselect(
            ref.label("partenaires"),
            list(organisations),
            format_func=organisations.__getitem__,
            placeholder="Aucun",
            key=f"{key}_partners",
        )
        starts_on = date_field(ref.label("date_debut"), value=None, key=f"{key}_s", where=left)
        ends_on = date_field(ref.label("date_fin"), value=None, key=f"{key}_e", where=right)
        status = left.selectbox(
            ref.label("statut"),
            list(statuses),
            index=list(statuses).index(ActionStatus.A_VENIR),
            format_func=statuses.__getitem__,
            key=f"{key}_status",
        )
        description = st.text_area(ref.label("description"), key=f"{key}_description", height=80)
        override = override_input(key, "seulement si une date sort de la période de la convention")
        st.caption("Les champs marqués * sont obligatoires.")
        submitted = st.form_submit_button("Créer l'action", type="primary")
    if submitted:
        values = {
            "code": code,
            "intitule": title,
            "domaine": domain,
            "orientation": orientation,
            "pilote": [] if pilot is None else [pilot],
            "partenaires": partners,
            "date_debut": starts_on,
            "date_fin": ends_on,
            "statut": status,
            "description": description,
        }
        PLAN.save(
            lambda: apply_decision_new_action(
                engine(), context.actor, decision_id=decision_id, values=values, override_reason=override
            ),
            outcome=lambda _: f"Action {code.strip()} créée et liée à la décision, avec la décision comme motif.",
            then=_remember("action", code.strip()),
        )
