"""Pilotage · Comités: the meetings of a convention (COPIL, COTECH, thematic committees), each
with its participants by organisation (present or excused), agenda, minutes and decisions.
Conseillers CAF and administrators prepare and record them; every role reads them (a partner,
the decisions concerning its organisation). A decision can move an action's dates, with the
meeting as the reason kept in the action's history.

The meeting shown is in the URL (`?reunion=ID`). User text (agenda, minutes, decisions) is
shown as plain text or table cells, never as Markdown or HTML.

A closed meeting shows « Ce qui a été présenté » (its snapshot, frozen when it was closed) and
what changed since the COPIL before it; a meeting still to close, « Depuis le dernier COPIL »
(the last COPIL closed by its date, compared with today's figures).
"""

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Role
from ctg_data.queries.meetings import meeting_detail, meetings_frame, organisation_choices
from ctg_data.queries.snapshots import Frozen, frozen_figures
from ctg_data.queries.year_on_year import indicators_year_on_year
from ctg_data.reports.meeting_pdf import report_pdf
from ctg_data.reports.meeting_report import ReportData, build_report, report_xlsx
from ctg_data.reports.year_on_year import indicator_table
from ctg_data.services.actions import action_for_edit
from ctg_data.services.meetings import (
    Label,
    add_decision,
    apply_decision_to_action,
    create_meeting,
    decision_for_edit,
    linkable_records,
    may_write_meetings,
    meeting_for_edit,
    set_participants,
    update_decision,
    update_meeting,
)
from ctg_data.services.reviews import REVIEW_TEXTS, evaluations_for_edit, review_for_edit, save_evaluation, save_review
from ctg_data.ui import changes
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.forms import EditCycle, versioned
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import kept_choice
from ctg_data.ui.text import escape_markdown
from ctg_data.vocabulary import Attendance, DecisionStatus, MeetingKind, MeetingStatus

load_meetings = cached_query(meetings_frame)
load_detail = cached_query(meeting_detail)
load_organisations = cached_query(organisation_choices)
load_linkable = cached_query(linkable_records)
load_may_write = cached_query(may_write_meetings)
load_frozen = cached_query(frozen_figures)
load_year_on_year = cached_query(indicators_year_on_year)

PARAM = "reunion"
MEETING = EditCycle("comites_reunion")
PARTICIPANTS = EditCycle("comites_participants")
DECISION = EditCycle("comites_decision")
REVIEW = EditCycle("comites_bilan")
EVALUATION = EditCycle("comites_evaluation")
MEETINGS_TAB, REVIEW_TAB = "Réunions", "Bilan annuel"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
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


def _describe(changes: list[tuple[str, object, object]]) -> list[str]:
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


# ------------------------------------------------------------------ the list


def _meetings_table(meetings: pd.DataFrame) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "Date": meetings["held_on"],
                "Comité": [
                    f"{kind}" + (f" · {theme}" if isinstance(theme, str) and theme else "")
                    for kind, theme in zip(meetings["kind_label"], meetings["theme"], strict=True)
                ],
                "Lieu": meetings["place"].fillna(""),
                "Statut": meetings["status_label"],
                "Présents": meetings["present"],
                "Excusés": meetings["excused"],
                "Décisions": meetings["decisions"],
                "À faire": meetings["open_decisions"],
            }
        ),
        hide_index=True,
        alt="Réunions de la convention",
        column_config={"Date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")},
    )


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
    held_on = middle.date_input(
        Label.HELD_ON,
        value=date.fromisoformat(held) if held else today,
        min_value=FIRST_DAY,
        max_value=LAST_DAY,
        format="DD/MM/YYYY",
        key=f"{key}_held_on",
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


def _new_meeting(context: ConventionContext) -> None:
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


# ------------------------------------------------------------------ one meeting, read


def _text_block(title: str, text: str | None) -> None:
    st.markdown(f"#### {title}")
    if text:
        st.text(text)  # plain text, as typed: never Markdown nor HTML
    else:
        st.caption("Non renseigné.")


def _participants_table(participants: pd.DataFrame) -> None:
    st.markdown("#### Participants")
    if participants.empty:
        st.caption("Aucun participant enregistré.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Organisation": participants["organisation"],
                "Personne": participants["person"].fillna(""),
                "Présence": participants["attendance_label"],
            }
        ),
        hide_index=True,
        alt="Participants de la réunion",
    )


def _decisions_table(decisions: pd.DataFrame) -> None:
    st.markdown("#### Décisions")
    if decisions.empty:
        st.caption("Aucune décision.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "N°": decisions["id"],
                "Décision": decisions["text"],
                "Responsable": decisions["owner"].fillna(""),
                "Échéance": [None if fmt.missing(d) else d for d in decisions["due_on"]],
                "Statut": decisions["status_label"],
                "Liens": ["; ".join(links["text"]) for links in decisions["links"]],
            }
        ),
        hide_index=True,
        alt="Décisions de la réunion",
        column_config={"Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY")},
    )


# ------------------------------------------------------------------ one meeting, written


def _edit_meeting(context: ConventionContext, meeting_id: int) -> None:
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
                describe=_describe,
            )


def _edit_participants(context: ConventionContext, meeting_id: int) -> None:
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
                describe=_describe,
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
    due_on = middle.date_input(
        f"{Label.DUE_ON} (facultative)",
        value=date.fromisoformat(due) if due else None,
        min_value=FIRST_DAY,
        max_value=LAST_DAY,
        format="DD/MM/YYYY",
        key=f"{key}_due",
        disabled=closed,
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


def _new_decision(context: ConventionContext, meeting_id: int) -> None:
    with st.expander("Nouvelle décision", icon=":material/add_task:"):
        key = DECISION.key("nouvelle", meeting_id)
        with st.form(key):
            fields = _decision_fields(context, key, None, closed=False)
            submitted = st.form_submit_button("Ajouter la décision", type="primary")
        if submitted:
            DECISION.save(lambda: add_decision(engine(), context.actor, meeting_id=meeting_id, **fields))


def _edit_decision(context: ConventionContext, decisions: pd.DataFrame, closed: bool) -> None:
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
                describe=_describe,
            )
        _apply_to_action(context, decision_id)


def _apply_to_action(context: ConventionContext, decision_id: int) -> None:
    """New dates of an action decided by this decision (the meeting is the reason)."""
    actions = load_linkable(context.convention_id)["actions"]
    if not actions:
        return
    st.markdown("##### Appliquer au plan : nouvelles dates d'une action")
    key = DECISION.key("plan", decision_id)
    action_id = st.selectbox(
        "Action",
        list(actions),
        format_func=actions.__getitem__,
        index=None,
        placeholder="Choisir une action",
        key=f"{key}_action",
    )
    if action_id is None:
        return
    opened = action_for_edit(engine(), int(action_id))
    if opened is None:
        return
    with st.form(f"{key}_form"):
        st.caption(
            "Le changement passe par le suivi de l'action ; l'historique gardera « Décision du … : … » comme motif."
        )
        left, right = st.columns(2)
        starts = opened["starts_on"]
        ends = opened["ends_on"]
        starts_on = left.date_input(
            "Date de début",
            value=date.fromisoformat(starts) if starts else None,
            format="DD/MM/YYYY",
            key=f"{key}_starts",
        )
        ends_on = right.date_input(
            "Date de fin", value=date.fromisoformat(ends) if ends else None, format="DD/MM/YYYY", key=f"{key}_ends"
        )
        outside = st.checkbox("Dates hors de la convention (justifiées par la décision)", key=f"{key}_outside")
        submitted = st.form_submit_button("Appliquer à l'action")
    if submitted:
        DECISION.save(
            lambda: apply_decision_to_action(
                engine(),
                context.actor,
                decision_id=decision_id,
                action_id=int(action_id),
                **versioned(opened),
                starts_on=starts_on,
                ends_on=ends_on,
                outside_convention=outside,
            ),
            table="actions",
        )


MEETING_TAB, SINCE_TAB, BETWEEN_TAB = "Réunion", changes.TITLE, "Depuis le COPIL précédent"


def _report_downloads(context: ConventionContext, meeting_id: int) -> None:
    """The printable report (PDF) and its tables (.xlsx): built only when clicked (deferred data),
    with the reader's own rights (reports.meeting_report checks them)."""

    def report() -> ReportData:
        return build_report(engine(), context.actor, context.convention_id, meeting_id, context.today)

    pdf, xlsx = st.columns(2)
    pdf.download_button(
        "Rapport imprimable (PDF)",
        lambda: report_pdf(report()),
        file_name=f"rapport-reunion-{meeting_id}.pdf",
        mime="application/pdf",
        key=f"rapport_pdf_{meeting_id}",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
    )
    xlsx.download_button(
        "Tableaux du rapport (.xlsx)",
        lambda: report_xlsx(report()),
        file_name=f"rapport-reunion-{meeting_id}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"rapport_xlsx_{meeting_id}",
        on_click="ignore",
        icon=":material/table_view:",
    )


def _meeting(context: ConventionContext, meeting_id: int, may_write: bool) -> None:
    detail = load_detail(meeting_id, context.actor)
    if detail is None:
        st.warning("Cette réunion n'existe plus.")
        return
    st.subheader(detail["title"])
    theme = f" · {escape_markdown(detail['theme'])}" if detail["theme"] else ""
    place = f" · {escape_markdown(detail['place'])}" if detail["place"] else ""
    st.markdown(f"**{escape_markdown(detail['kind_label'])}**{theme}{place} · statut : **{detail['status_label']}**")
    _report_downloads(context, meeting_id)
    frozen = load_frozen(meeting_id) if detail["status"] == MeetingStatus.CLOSE else None
    if frozen is None:
        record, since = st.tabs([MEETING_TAB, SINCE_TAB])
        with since:
            found = changes.load_since(context.convention_id, context.today, None, detail["held_on"])
            if found is None:
                st.caption("Aucun COPIL n'a encore été clos avant cette réunion : rien à comparer.")
            else:
                changes.show_changes(found, key=f"since_{meeting_id}")
    else:
        record, shown, between = st.tabs([MEETING_TAB, changes.PRESENTED, BETWEEN_TAB])
        with shown:
            changes.presented(frozen)
        with between:
            changes.between_meetings(meeting_id)
    with record:
        _meeting_record(context, meeting_id, detail, may_write)


def _meeting_record(context: ConventionContext, meeting_id: int, detail: dict[str, Any], may_write: bool) -> None:
    """The meeting itself: participants, agenda, minutes, decisions, and the forms."""
    _participants_table(detail["participants"])
    _text_block("Ordre du jour", detail["agenda"])
    if detail["minutes"] is not None or context.actor.role != Role.PARTENAIRE:  # a partner reads no minutes
        _text_block("Compte rendu", detail["minutes"])
    _decisions_table(detail["decisions"])
    if not may_write:
        return
    closed = detail["status"] == MeetingStatus.CLOSE
    if not closed:
        _edit_meeting(context, meeting_id)
        _edit_participants(context, meeting_id)
        _new_decision(context, meeting_id)
    _edit_decision(context, detail["decisions"], closed)


# ------------------------------------------------------------------ bilan annuel


def _last_copil(meetings: pd.DataFrame, year: int | None = None) -> list[int]:
    """The closed COPILs (of `year`), oldest first."""
    if meetings.empty:
        return []
    chosen = meetings[(meetings["kind"] == MeetingKind.COPIL) & (meetings["status"] == MeetingStatus.CLOSE)]
    if year is not None:
        chosen = chosen[[held.year == year for held in chosen["held_on"]]]
    return [int(i) for i in chosen.sort_values("held_on")["id"]]


def _review_texts(context: ConventionContext, year: int, may_write: bool) -> None:
    record = (context.convention_id, year)
    snapshot = REVIEW.snapshot(record, lambda: review_for_edit(engine(), context.convention_id, year))
    if not may_write:
        for name, title in REVIEW_TEXTS.items():
            _text_block(title, (snapshot or {}).get(name))
        return
    key = REVIEW.key(context.convention_id, year)
    with st.form(key):
        texts = {
            name: st.text_area(title, value=(snapshot or {}).get(name) or "", height=120, key=f"{key}_{name}")
            for name, title in REVIEW_TEXTS.items()
        }
        submitted = st.form_submit_button("Enregistrer le bilan", type="primary")
    if submitted:
        REVIEW.save(
            lambda: save_review(
                engine(),
                context.actor,
                convention_id=context.convention_id,
                year=year,
                **versioned(snapshot),
                texts=texts,
            ),
            record=record,
            load=lambda: review_for_edit(engine(), context.convention_id, year),
            describe=_describe,
        )


def _domain_figures(frozen: Frozen) -> pd.DataFrame:
    return frozen.table("domains").set_index("domain_code")


def _evaluations(context: ConventionContext, meetings: pd.DataFrame, may_write: bool) -> None:
    """The convention's last year: per domain, its figures at the first and the last closed COPIL,
    side by side, and the evaluation written over them."""
    st.markdown("### Évaluation par domaine")
    copils = _last_copil(meetings)
    first, last = (load_frozen(copils[0]), load_frozen(copils[-1])) if copils else (None, None)
    if first is None or last is None:
        st.caption("Aucun COPIL clos : pas de chiffres conservés à évaluer.")
        return
    start, end = _domain_figures(first), _domain_figures(last)
    heads = (f"au {fmt.short_date(first.as_of)}", f"au {fmt.short_date(last.as_of)}")
    snapshots = EVALUATION.snapshot(
        context.convention_id, lambda: evaluations_for_edit(engine(), context.convention_id)
    )
    for code in end.index:
        st.markdown(f"#### {escape_markdown(str(end.at[code, 'domain']))}")
        st.dataframe(
            pd.DataFrame(
                {
                    "Chiffres": ["Avancement", "Attendu", "En retard sur le calendrier"],
                    **{
                        head: (
                            [
                                fmt.format_percent(fmt.share(frame.at[code, "progress"])),
                                fmt.format_percent(fmt.share(frame.at[code, "expected"])),
                                "oui" if frame.at[code, "behind"] else "non",
                            ]
                            if code in frame.index
                            else [fmt.DASH] * 3
                        )
                        for head, frame in zip(heads, (start, end), strict=True)
                    },
                }
            ),
            hide_index=True,
        )
        _evaluation_text(context, str(code), snapshots.get(str(code)), may_write)


def _evaluation_text(context: ConventionContext, code: str, snapshot: dict[str, Any] | None, may_write: bool) -> None:
    if not may_write:
        _text_block("Évaluation", (snapshot or {}).get("text"))
        return
    key = EVALUATION.key(context.convention_id, code)
    with st.form(key):
        text = st.text_area("Évaluation", value=(snapshot or {}).get("text") or "", height=100, key=f"{key}_text")
        submitted = st.form_submit_button("Enregistrer l'évaluation")
    if submitted:
        EVALUATION.save(
            lambda: save_evaluation(
                engine(),
                context.actor,
                convention_id=context.convention_id,
                domain_code=code,
                **versioned(snapshot),
                text=text,
            ),
            # The evaluations are opened together: read again after a save or a conflict.
            then=lambda _: EVALUATION.forget(context.convention_id),
            on_conflict=lambda: EVALUATION.forget(context.convention_id),
        )


def _annual_review(context: ConventionContext, meetings: pd.DataFrame, may_write: bool) -> None:
    """A year's review: the frozen figures of its last closed COPIL and the year on year, read
    only, above the texts the committee writes; in the convention's last year, the evaluation."""
    years = list(context.years)
    default = min(max(context.today.year, years[0]), years[-1])
    year = st.selectbox("Année du bilan", years, index=years.index(default), key="comites_bilan_annee")
    st.markdown(f"### Chiffres de {year}")
    copils = _last_copil(meetings, year)
    frozen = load_frozen(copils[-1]) if copils else None
    if frozen is None:
        st.caption(f"Aucun COPIL clos en {year} : pas de chiffres conservés pour cette année.")
    else:
        changes.presented(frozen)
    st.markdown(f"### D'une année à l'autre : {year} par rapport à {year - 1}")
    if year > context.today.year:  # both ends would be today's figures: nothing to compare yet
        st.caption(f"L'année {year} n'a pas commencé : pas encore de comparaison.")
    else:
        rows = load_year_on_year(context.convention_id, year, context.today)
        st.dataframe(indicator_table(rows, year, context.today), hide_index=True, alt=f"Indicateurs en {year}")
    st.markdown(f"### Bilan {year}")
    _review_texts(context, year, may_write)
    if year == years[-1]:
        _evaluations(context, meetings, may_write)


def _meetings(context: ConventionContext, meetings: pd.DataFrame, may_write: bool) -> None:
    if may_write:
        _new_meeting(context)
    if meetings.empty:
        st.info("Aucune réunion n'est encore enregistrée pour cette convention.")
        return
    _meetings_table(meetings)
    titles = dict(zip(meetings["id"], meetings["title"], strict=True))
    chosen = kept_choice("Réunion", list(titles), PARAM, format_func=lambda id_: titles.get(id_, str(id_)), default=0)
    if chosen is not None:
        _meeting(context, int(chosen), may_write)


@page("Comités", filters=())
def render(context: ConventionContext) -> None:
    for cycle in (MEETING, PARTICIPANTS, DECISION, REVIEW, EVALUATION):
        cycle.outcome()
    may_write = load_may_write(context.actor, context.convention_id)
    meetings = load_meetings(context.convention_id)
    listed, review = st.tabs([MEETINGS_TAB, REVIEW_TAB])
    with listed:
        _meetings(context, meetings, may_write)
    with review:
        _annual_review(context, meetings, may_write)
