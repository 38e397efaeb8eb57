"""Pilotage · Comités: the meetings of a convention (COPIL, COTECH, thematic committees), each
with its participants by organisation (present or excused), agenda, minutes and decisions.
Conseillers CAF and administrators prepare and record them; every role reads them (a partner,
the decisions concerning its organisation). A decision can change the plan — an action's new
dates, an indicator's new target, a new action — with the meeting as the reason kept in the
history (ctg_data.ui.decision_apply). The forms that prepare and record a meeting are in
ctg_data.ui.meeting_forms.

The meeting shown is in the URL (`?reunion=ID`). User text (agenda, minutes, decisions) is
shown as plain text or table cells, never as Markdown or HTML.

A closed meeting shows « Ce qui a été présenté » (its snapshot, frozen when it was closed) and
what changed since the COPIL before it; a meeting still to close, « Depuis le dernier COPIL »
(the last COPIL closed by its date, compared with today's figures).
"""

from typing import Any

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.actors import Role
from ctg_data.queries.meetings import meeting_detail, meetings_frame
from ctg_data.queries.snapshots import Frozen, frozen_figures
from ctg_data.queries.year_on_year import indicators_year_on_year
from ctg_data.reports.meeting_pdf import report_pdf
from ctg_data.reports.meeting_report import ReportData, build_report, report_xlsx
from ctg_data.reports.year_on_year import indicator_table
from ctg_data.services.meetings import may_write_meetings
from ctg_data.services.reviews import REVIEW_TEXTS, evaluations_for_edit, review_for_edit, save_evaluation, save_review
from ctg_data.ui import changes
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.decision_apply import apply_to_plan
from ctg_data.ui.forms import EditCycle, versioned
from ctg_data.ui.meeting_forms import (
    DECISION,
    MEETING,
    PARAM,
    PARTICIPANTS,
    describe,
    edit_decision,
    edit_meeting,
    edit_participants,
    new_decision,
    new_meeting,
)
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import kept_choice
from ctg_data.ui.text import escape_markdown
from ctg_data.vocabulary import MeetingKind, MeetingStatus

load_meetings = cached_query(meetings_frame)
load_detail = cached_query(meeting_detail)
load_may_write = cached_query(may_write_meetings)
load_frozen = cached_query(frozen_figures)
load_year_on_year = cached_query(indicators_year_on_year)

REVIEW = EditCycle("comites_bilan")
EVALUATION = EditCycle("comites_evaluation")
MEETINGS_TAB, REVIEW_TAB = "Réunions", "Bilan annuel"


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
        edit_meeting(context, meeting_id)
        edit_participants(context, meeting_id)
        new_decision(context, meeting_id)
    edit_decision(context, detail["decisions"], closed)
    apply_to_plan(context, detail["decisions"])


# ------------------------------------------------------------------ bilan annuel


def _last_copil(meetings: pd.DataFrame, year: int | None = None) -> list[int]:
    """The closed COPILs (of `year`), oldest first."""
    if meetings.empty:
        return []
    chosen = meetings[(meetings["kind"] == MeetingKind.COPIL) & (meetings["status"] == MeetingStatus.CLOSE)]
    if year is not None:
        # `.loc`: rows; `chosen[[]]` would select no column at all when no COPIL is closed.
        chosen = chosen.loc[[held.year == year for held in chosen["held_on"]]]
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
            describe=describe,
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
        new_meeting(context)
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
