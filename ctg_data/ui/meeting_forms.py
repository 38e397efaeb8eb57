"""The forms of the Comités page (pages/comites.py) that prepare and record a meeting: the
meeting itself (and closing it), its participants, its decisions (a closed meeting's decision:
only its status). Conseillers CAF and administrators see them; the services check the right
again (services.meetings). Each form is opened on a snapshot of its record: a save made by
someone else meanwhile is refused with what changed, in the forms' words (`describe`)."""

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.meetings import organisation_choices
from ctg_data.services.meetings import (
    Label,
    add_decision,
    create_meeting,
    decision_for_edit,
    linkable_records,
    meeting_for_edit,
    set_participants,
    update_decision,
    update_meeting,
)
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, date_field, versioned
from ctg_data.ui.page import ConventionContext
from ctg_data.vocabulary import Attendance, DecisionStatus, MeetingKind, MeetingStatus

load_organisations = cached_query(organisation_choices)
load_linkable = cached_query(linkable_records)

PARAM = "reunion"  # the meeting shown, in the URL
MEETING = EditCycle("comites_reunion")
PARTICIPANTS = EditCycle("comites_participants")
DECISION = EditCycle("comites_decision")
NO_OWNER = "(aucun)"
LINK_TITLES = {"actions": Label.ACTIONS, "indicators": Label.INDICATORS, "facilities": Label.FACILITIES}


# A record's fields in the forms' words, for what a conflict says changed.
FIELD_LABELS = {
    "kind": Label.KIND,
    "theme": Label.THEME,
    "held_on": Label.HELD_ON,
    "place": Label.PLACE,
    "agenda": Label.AGENDA,
    "minutes": Label.MINUTES,
    "status": Label.STATUS,
    "participants": Label.PARTICIPANTS,
    "text": Label.TEXT,
    "owner_id": Label.OWNER,
    "due_on": Label.DUE_ON,
    **LINK_TITLES,
}
SHORT = 60  # longer texts (minutes, a decision) and lists: the conflict only says they changed


def describe(changes: list[tuple[str, object, object]]) -> list[str]:
    """A conflict's changes in the forms' words."""
    lines = []
    for name, was, now in changes:
        if name not in FIELD_LABELS:
            continue
        if isinstance(now, list) or len(str(now)) > SHORT or len(str(was)) > SHORT:
            lines.append(f"{FIELD_LABELS[name]} : modifié")
        else:
            lines.append(
                f"{FIELD_LABELS[name]} : {fmt.DASH if was is None else was} → {fmt.DASH if now is None else now}"
            )
    return lines


def _meeting_fields(key: str, snapshot: dict[str, Any] | None, today: date) -> dict[str, Any]:
    """The fields of a meeting's form (new: `snapshot` None)."""
    kinds, statuses = list(MeetingKind.labels()), list(MeetingStatus.labels())
    left, middle, right = st.columns(3)
    kind = left.selectbox(
        Label.KIND,
        kinds,
        index=kinds.index(snapshot["kind"]) if snapshot else 0,
        format_func=MeetingKind.label_of,
        key=f"{key}_kind",
    )
    held = snapshot["held_on"] if snapshot else None
    held_on = date_field(
        Label.HELD_ON, value=date.fromisoformat(held) if held else today, key=f"{key}_held_on", where=middle
    )
    status = right.selectbox(
        Label.STATUS,
        statuses,
        index=statuses.index(snapshot["status"]) if snapshot else 0,
        format_func=MeetingStatus.label_of,
        key=f"{key}_status",
        help=(
            "Clore la réunion conserve les chiffres présentés, tels quels. Une réunion close ne se "
            "modifie plus ; seul le statut de ses décisions peut encore changer."
        ),
    )
    theme = left.text_input(
        f"{Label.THEME} (comité thématique)", value=(snapshot or {}).get("theme") or "", key=f"{key}_theme"
    )
    place = middle.text_input(Label.PLACE, value=(snapshot or {}).get("place") or "", key=f"{key}_place")
    agenda = st.text_area(Label.AGENDA, value=(snapshot or {}).get("agenda") or "", height=100, key=f"{key}_agenda")
    minutes = st.text_area(Label.MINUTES, value=(snapshot or {}).get("minutes") or "", height=150, key=f"{key}_minutes")
    return {
        "kind": kind,
        "held_on": held_on,
        "status": status,
        "theme": theme,
        "place": place,
        "agenda": agenda,
        "minutes": minutes,
    }


def new_meeting(context: ConventionContext) -> None:
    with st.expander("Nouvelle réunion", icon=":material/add:"):
        key = MEETING.key("nouvelle")
        with st.form(key):
            fields = _meeting_fields(key, None, context.today)
            submitted = st.form_submit_button("Créer la réunion", type="primary")
        if submitted:
            MEETING.save(
                lambda: create_meeting(engine(), context.actor, convention_id=context.convention_id, **fields),
                then=lambda saved: st.query_params.__setitem__(PARAM, str(saved.id)),
            )


# ------------------------------------------------------------------ one meeting, written


def edit_meeting(context: ConventionContext, meeting_id: int) -> None:
    snapshot = MEETING.open(meeting_id, lambda: meeting_for_edit(engine(), meeting_id), "Cette réunion n'existe plus.")
    if snapshot is None:
        return
    with st.expander("Modifier la réunion (ou la clore)", icon=":material/edit:"):
        key = MEETING.key(meeting_id)
        with st.form(key):
            fields = _meeting_fields(key, snapshot, context.today)
            submitted = st.form_submit_button("Enregistrer la réunion", type="primary")
        if submitted:
            MEETING.save(
                lambda: update_meeting(engine(), context.actor, meeting_id=meeting_id, **versioned(snapshot), **fields),
                record=meeting_id,
                load=lambda: meeting_for_edit(engine(), meeting_id),
                describe=describe,
            )


def edit_participants(context: ConventionContext, meeting_id: int) -> None:
    snapshot = PARTICIPANTS.open(
        meeting_id, lambda: meeting_for_edit(engine(), meeting_id), "Cette réunion n'existe plus."
    )
    if snapshot is None:
        return
    organisations = load_organisations()
    by_name = {name: id_ for id_, name in organisations.items()}
    attendance = Attendance.labels()
    current = pd.DataFrame(
        {
            "Organisation": [organisations.get(p["organisation_id"], "") for p in snapshot["participants"]],
            "Personne": [p["person"] or "" for p in snapshot["participants"]],
            "Présence": [attendance[p["attendance"]] for p in snapshot["participants"]],
        },
        columns=["Organisation", "Personne", "Présence"],
    ).astype("string")  # an empty list too: the editor types its columns from the data
    with st.expander("Participants : ajouter, excuser, retirer", icon=":material/group_add:"):
        key = PARTICIPANTS.key(meeting_id)
        with st.form(key):
            st.caption(
                "Une ligne par organisation (et par personne, si vous la nommez). Retirez une ligne pour l'ôter."
            )
            edited = st.data_editor(
                current,
                num_rows="dynamic",
                hide_index=True,
                key=f"{key}_table",
                column_config={
                    "Organisation": st.column_config.SelectboxColumn(
                        "Organisation", options=list(by_name), required=True
                    ),
                    "Personne": st.column_config.TextColumn("Personne (facultatif)"),
                    "Présence": st.column_config.SelectboxColumn(
                        "Présence", options=list(attendance.values()), required=True, default=Attendance.PRESENT.label
                    ),
                },
            )
            submitted = st.form_submit_button("Enregistrer les participants", type="primary")
        if submitted:
            codes = {label: code for code, label in attendance.items()}
            rows = [
                {
                    "organisation_id": by_name.get(row["Organisation"]),
                    "person": row["Personne"],
                    "attendance": codes.get(row["Présence"], row["Présence"]),
                }
                for row in edited.to_dict("records")
                if not fmt.missing(row["Organisation"])
            ]
            PARTICIPANTS.save(
                lambda: set_participants(
                    engine(), context.actor, meeting_id=meeting_id, **versioned(snapshot), participants=rows
                ),
                record=meeting_id,
                load=lambda: meeting_for_edit(engine(), meeting_id),
                describe=describe,
            )


def _decision_fields(
    context: ConventionContext, key: str, snapshot: dict[str, Any] | None, closed: bool
) -> dict[str, Any]:
    """The fields of a decision's form; a closed meeting's decision shows only its status."""
    statuses = list(DecisionStatus.labels())
    organisations = load_organisations()
    linkable = load_linkable(context.convention_id)
    snapshot = snapshot or {}
    text = st.text_area(Label.TEXT, value=snapshot.get("text") or "", height=80, key=f"{key}_text", disabled=closed)
    left, middle, right = st.columns(3)
    owners: list[Any] = [None, *organisations]
    owner = left.selectbox(
        Label.OWNER,
        owners,
        index=owners.index(snapshot.get("owner_id")) if snapshot.get("owner_id") in owners else 0,
        format_func=lambda id_: NO_OWNER if id_ is None else organisations[id_],
        key=f"{key}_owner",
        disabled=closed,
    )
    due = snapshot.get("due_on")
    due_on = date_field(
        f"{Label.DUE_ON} (facultative)",
        value=date.fromisoformat(due) if due else None,
        key=f"{key}_due",
        disabled=closed,
        where=middle,
    )
    status = right.selectbox(
        Label.STATUS,
        statuses,
        index=statuses.index(snapshot.get("status") or DecisionStatus.A_FAIRE),
        format_func=DecisionStatus.label_of,
        key=f"{key}_status",
    )
    links = {
        name: st.multiselect(
            title,
            list(linkable[name]),
            default=[i for i in snapshot.get(name, []) if i in linkable[name]],
            format_func=linkable[name].__getitem__,
            key=f"{key}_{name}",
            disabled=closed,
            placeholder="Aucun",
        )
        for name, title in LINK_TITLES.items()
    }
    return {"text": text, "owner_id": owner, "due_on": due_on, "status": status, "links": links}


def new_decision(context: ConventionContext, meeting_id: int) -> None:
    with st.expander("Nouvelle décision", icon=":material/add_task:"):
        key = DECISION.key("nouvelle", meeting_id)
        with st.form(key):
            fields = _decision_fields(context, key, None, closed=False)
            submitted = st.form_submit_button("Ajouter la décision", type="primary")
        if submitted:
            DECISION.save(lambda: add_decision(engine(), context.actor, meeting_id=meeting_id, **fields))


def edit_decision(context: ConventionContext, decisions: pd.DataFrame, closed: bool) -> None:
    if decisions.empty:
        return
    texts = dict(zip(decisions["id"], decisions["text"], strict=True))
    with st.expander("Modifier une décision (statut, responsable, échéance, liens)", icon=":material/edit_note:"):
        chosen = st.selectbox(
            "Décision",
            list(texts),
            format_func=lambda id_: f"n° {id_} — {texts[id_][:80]}",
            key=DECISION.key("choix"),
        )
        if chosen is None:
            return
        decision_id = int(chosen)
        snapshot = DECISION.open(
            decision_id, lambda: decision_for_edit(engine(), decision_id), "Cette décision n'existe plus."
        )
        if snapshot is None:
            return
        key = DECISION.key(decision_id)
        with st.form(key):
            fields = _decision_fields(context, key, snapshot, closed)
            if closed:
                fields = {**fields, "text": snapshot["text"], "owner_id": snapshot["owner_id"]}
                fields["due_on"], fields["links"] = snapshot["due_on"], {n: snapshot[n] for n in LINK_TITLES}
            submitted = st.form_submit_button("Enregistrer la décision", type="primary")
        if submitted:
            DECISION.save(
                lambda: update_decision(
                    engine(), context.actor, decision_id=decision_id, **versioned(snapshot), **fields
                ),
                record=decision_id,
                load=lambda: decision_for_edit(engine(), decision_id),
                describe=describe,
            )
