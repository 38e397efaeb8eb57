"""Actions: the filterable table of the plan's actions, the plan as its own hierarchy (enjeu →
objectif → fiche, progress rolled up at each level), and one action's full fiche.

The fiche shown is in the URL (`?action=CODE`) so that a link in an email opens it.
"""

from datetime import date

import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data.queries.actions import action_fiche, actions_frame, plan_frame
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import indicators_frame
from ctg_data.ui.data import cached_query
from ctg_data.ui.forms import history_link
from ctg_data.ui.overview_charts import plan_table
from ctg_data.ui.page import ConventionContext, page
from ctg_data.ui.selection import STATUS_PARAM, WRAPPED_ROWS, item_table, linked_filter, listed_item
from ctg_data.ui.text import escape_markdown, indicator_rows
from ctg_data.vocabulary import ActionStatus

load_actions = cached_query(actions_frame)
load_fiche = cached_query(action_fiche)
load_plan = cached_query(plan_frame)
load_indicators = cached_query(indicators_frame)

PARAM = "action"
LATE = "En retard"
LATE_PARAM = "en_retard"  # `?statut=en_retard`: the late actions (the overview's « En retard » tile)
EMPTY = "Aucune action ne correspond à ces filtres."


# ------------------------------------------------------------------ table and page filters

# What a link's `?statut=` sets in the filters: one status, or the late actions.
_LINKED_STATUS = {
    **{code: {"actions_status": [code], "actions_late_only": False} for code in ActionStatus.labels()},
    LATE_PARAM: {"actions_status": [], "actions_late_only": True},
}


def _page_filters(frame: pd.DataFrame) -> pd.DataFrame:
    """The body's filters, combined with AND; an empty choice keeps everything."""
    columns = st.columns(5, vertical_alignment="bottom")
    changed = linked_filter(STATUS_PARAM, _LINKED_STATUS)
    statuses = columns[0].multiselect(
        "Statut",
        list(ActionStatus.labels()),
        key="actions_status",
        format_func=ActionStatus.label_of,
        placeholder="Tous",
        on_change=changed,
    )
    orientations = sorted(
        {(c, t) for c, t in zip(frame["orientation_code"], frame["orientation"], strict=True) if c is not None}
    )
    orientation_titles = dict(orientations)
    chosen_orientations = columns[1].multiselect(
        "Orientation",
        [c for c, _ in orientations],
        key="actions_orientation",
        placeholder="Toutes",
        format_func=lambda c: f"{c} — {orientation_titles[c]}",
    )
    # A co-pilot is a pilot: the filter finds the actions an organisation leads or co-pilots.
    every_pilot = sorted({name for names in frame["pilots"] for name in names})
    pilots = columns[2].multiselect("Pilote", every_pilot, key="actions_pilot", placeholder="Tous")
    all_partners = sorted({name for partners in frame["partners"] for name in partners})
    partners = columns[3].multiselect("Partenaire", all_partners, key="actions_partner", placeholder="Tous")
    late_only = columns[4].toggle("En retard seulement", key="actions_late_only", on_change=changed)

    keep = pd.Series(True, index=frame.index)
    if statuses:
        keep &= frame["status"].isin(statuses)
    if chosen_orientations:
        keep &= frame["orientation_code"].isin(chosen_orientations)
    if pilots:
        keep &= frame["pilots"].map(lambda names: bool(set(names) & set(pilots)))
    if partners:
        keep &= frame["partners"].map(lambda names: bool(set(names) & set(partners)))
    if late_only:
        keep &= frame["late"]
    return frame[keep].reset_index(drop=True)


# Widths (px) that fit the key columns in the main column at 1440 px beside the menu (about
# 940 px after the selection box): the title wraps; the columns after « Pilote » scroll.
COLUMN_WIDTHS = {
    "Code": 70,
    "Intitulé": 300,
    "Statut": 90,
    "Retard": 80,
    "Échéance": 90,
    "Avancement": 130,
    "Pilote": 150,
}


def _table(shown: pd.DataFrame) -> None:
    table = pd.DataFrame(
        {
            "Code": shown["code"],
            "Intitulé": shown["title"],
            "Statut": shown["status_label"],
            "Retard": [LATE if late else "" for late in shown["late"]],
            "Échéance": shown["ends_on"],
            "Avancement": shown["progress"],
            "Pilote": shown["pilot"],
            "Domaine": shown["domain"],
            "Orientation": shown["orientation_code"],
            "Copilotes": shown["copilots"].map(", ".join),
            "Partenaires": shown["partners"].map(", ".join),
            "Communes": shown["communes"].map(lambda names: ", ".join(names) or "Tout le territoire"),
        }
    )
    item_table(
        table,
        list(shown["code"]),
        PARAM,
        alt="Actions du plan correspondant aux filtres",
        column_config={
            "Code": st.column_config.TextColumn("Code", width=COLUMN_WIDTHS["Code"], pinned=True),
            "Intitulé": st.column_config.TextColumn("Intitulé", width=COLUMN_WIDTHS["Intitulé"]),
            "Statut": st.column_config.TextColumn("Statut", width=COLUMN_WIDTHS["Statut"]),
            "Retard": st.column_config.TextColumn("Retard", width=COLUMN_WIDTHS["Retard"]),
            "Échéance": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY", width=COLUMN_WIDTHS["Échéance"]),
            "Avancement": st.column_config.ProgressColumn(
                "Avancement", min_value=0, max_value=100, format="%d %%", width=COLUMN_WIDTHS["Avancement"]
            ),
            "Pilote": st.column_config.TextColumn("Pilote", width=COLUMN_WIDTHS["Pilote"]),
        },
        row_height=WRAPPED_ROWS,
    )


# ------------------------------------------------------------------ the selected action


def _field(label: str, value) -> None:
    text = fmt.DASH if fmt.missing(value) or value == "" else escape_markdown(value)
    st.markdown(f"**{label}** : {text}")


def _fiche(action: pd.Series, filters: Filters, on: date) -> None:
    fiche = load_fiche(int(action["id"]))
    if fiche is None:
        st.warning("Cette action n'existe plus.")
        return
    st.divider()
    st.subheader(escape_markdown(f"{fiche['code']} — {fiche['title']}"))
    state = f"**Statut** : {escape_markdown(action['status_label'])}"
    if action["late"]:
        state += f" · **{LATE}** : échéance dépassée depuis le {fmt.short_date(action['ends_on'])}"
    st.markdown(state)
    progress = action["progress"]
    if fmt.missing(progress):
        st.markdown(f"**Avancement** : {fmt.DASH}")
    else:
        st.progress(int(progress) / 100, text=f"Avancement : {fmt.percent(int(progress) / 100)}")

    left, right = st.columns(2)
    with left:
        _field("Domaine", fiche["domain"])
        orientation = (
            None if fiche["orientation_code"] is None else f"{fiche['orientation_code']} — {fiche['orientation']}"
        )
        _field("Orientation", orientation)
        _field("Pilote", fiche["pilot"])
        _field("Copilotes", ", ".join(fiche["copilots"]) or None)
        _field("Public cible", fiche["target_public"])
        _field("Début", fmt.short_date(fiche["starts_on"]))
        _field("Échéance", fmt.short_date(fiche["ends_on"]))
    with right:
        _field("Priorité", None if fiche["priority"] is None else str(fiche["priority"]))
        _field("Poids", fmt.smart_number(fiche["weight"]))
        _field("Budget prévu", fmt.money(fiche["planned_budget"]))
        _field("Communes", ", ".join(fiche["communes"]) or "Tout le territoire")
        st.markdown("**Partenaires**")
        if fiche["partners"]:
            st.markdown("\n".join(f"- {escape_markdown(name)}" for name in fiche["partners"]))
        else:
            st.caption("Aucun partenaire enregistré.")
    st.markdown("**Description**")
    if fiche["description"]:
        st.markdown(escape_markdown(fiche["description"]))
    else:
        st.caption("Aucune description.")

    st.markdown("#### Suivi")
    _notes(fiche["notes"])
    st.markdown("#### Indicateurs liés")
    _linked_indicators(action["code"], filters, on)
    st.markdown("#### Financements")
    _funding(fiche["funding"])
    history_link("action", fiche["code"])


def _notes(notes: pd.DataFrame) -> None:
    if notes.empty:
        st.caption("Aucune note de suivi.")
        return
    for note in notes.itertuples():  # most recent first
        with st.container(border=True):
            author = f" — {escape_markdown(note.author)}" if note.author else ""
            st.markdown(f"**{fmt.short_date(note.noted_on)}**{author}")
            st.markdown(escape_markdown(note.text))


def _linked_indicators(code: str, filters: Filters, on: date) -> None:
    # The whole convention's indicators: an action's indicator may sit in another domain.
    indicators = load_indicators(Filters(convention_id=filters.convention_id, year=filters.year), on)
    linked = indicators[indicators["action_code"] == code]
    if linked.empty:
        st.caption("Aucun indicateur lié à cette action.")
        return
    table = indicator_rows(linked)[["Code", "Indicateur", "Statut", "Atteinte", "Valeur actuelle", "Unité", "Cible"]]
    st.dataframe(
        table,
        hide_index=True,
        placeholder=fmt.DASH,
        alt="Indicateurs liés à l'action",
        column_config={
            "Atteinte": st.column_config.ProgressColumn("Atteinte", min_value=0, max_value=100, format="%d %%")
        },
    )


def _funding(funding: pd.DataFrame) -> None:
    if funding.empty:
        st.caption("Aucune ligne de financement liée à cette action.")
        return
    table = pd.DataFrame(
        {
            "Levier": funding["lever"],
            "Année": funding["year"].astype(str),
            "Financeur": funding["funder"],
            "Bénéficiaire": funding["beneficiary"],
            "Prévu": [fmt.money(v) for v in funding["planned"]],
            "Notifié": [fmt.money(v) for v in funding["notified"]],
            "Versé": [fmt.money(v) for v in funding["paid"]],
        }
    )
    st.dataframe(table, hide_index=True, alt="Lignes de financement de l'action")


@page("Actions")
def render(context: ConventionContext) -> None:
    filters, on = context.filters, context.today
    frame = load_actions(filters, on)
    everything = load_actions(Filters(convention_id=filters.convention_id), on)

    listing, tree = st.tabs(["Liste des actions", "Plan : enjeux → objectifs → fiches"])
    with tree:
        plan_table(load_plan(filters, on), alt_text="Plan de la convention : orientations et fiches actions")
    with listing:
        shown = _page_filters(frame)
        late = int(shown["late"].sum())
        unreported = int(shown["unreported"].sum())
        st.caption(
            f"{fmt.number(len(shown))} action(s) affichée(s) sur {fmt.number(len(frame))}, "
            f"dont {fmt.number(late)} en retard au {fmt.short_date(on)}"
            + (f" et {fmt.number(unreported)} au statut non renseigné." if unreported else ".")
        )
        if shown.empty:
            st.info(EMPTY)
        else:
            _table(shown)

    action = listed_item(
        "Fiche action",
        everything,
        shown,
        PARAM,
        name="title",
        missing="Aucune action « {} » dans cette convention.",
        placeholder="Choisir une action",
    )
    if action is not None:
        _fiche(action, filters, on)
