"""Charts of the overview: progress by domain, the plan's hierarchy and the convention's
timeline. Each chart comes with a sentence saying what it shows, for readers who can't or don't
read the chart."""

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from ctg_data import formats as fmt
from ctg_data import settings
from ctg_data.chart_specs import domain_progress_chart, no_domain_behind, progress_for_expected
from ctg_data.ui.charts import show_chart, themed
from ctg_data.ui.text import escape_markdown

BEHIND = "En retard sur le calendrier"


def behind_line(domains: pd.DataFrame) -> str:
    """The domains « en retard sur le calendrier », in one sentence, in their order."""
    behind = domains[domains["behind"].astype(bool)].sort_values("position") if not domains.empty else domains
    if behind.empty:
        return no_domain_behind()
    listed = ", ".join(
        f"{escape_markdown(row.domain)} ({progress_for_expected(row.progress, row.expected)})"
        for row in behind.itertuples()
    )
    return f"{BEHIND} : {listed}."


def behind_schedule(domains: pd.DataFrame) -> None:
    """The one line the steering committee reads first: which domains fall behind their dates."""
    line = behind_line(domains)
    if line.startswith(BEHIND):
        st.warning(line)
    else:
        st.info(line)


def domain_progress(domains: pd.DataFrame) -> None:
    if domains.empty:
        st.info("Aucun domaine pour cette sélection.")
        return
    show_chart(domain_progress_chart, domains, width="stretch")
    st.caption(
        "Pour chaque domaine : "
        + " ; ".join(
            f"{row.domain} — actions {fmt.percent(fmt.share(row.progress))}"
            f"{'' if row.actions else ' (aucune action)'}"
            f"{f' ({fmt.percent(fmt.share(row.expected))} attendus)' if not fmt.missing(row.expected) else ''}"
            ", indicateurs "
            f"{fmt.percent(row.attainment)}"
            for row in domains.itertuples()
        )
        + ". Le trait sombre marque l'avancement attendu à ce jour d'après les dates des actions. "
        "« — » : pas de valeur calculable."
    )


def timeline_chart(start: date, end: date, signed_on: date | None, today: date) -> alt.LayerChart:
    events = [("Début", start), ("Fin", end), ("Aujourd'hui", today)]
    if signed_on:
        events.insert(0, ("Signature", signed_on))
    data = pd.DataFrame(
        [{"Événement": label, "Date": pd.Timestamp(day), "Texte": fmt.short_date(day)} for label, day in events]
    )
    span = (
        alt.Chart(pd.DataFrame([{"début": pd.Timestamp(start), "fin": pd.Timestamp(end)}]))
        .mark_bar(height=14, color="#56B4E9")
        .encode(x=alt.X("début:T", title="Date", axis=alt.Axis(format="%b %Y")), x2="fin:T")
    )
    marks = (
        alt.Chart(data)
        .mark_point(filled=True, size=90, color="#000000")
        .encode(
            x="Date:T",
            shape=alt.Shape("Événement:N", title=None),
            tooltip=["Événement", alt.Tooltip("Texte:N", title="Date")],
        )
    )
    chart: alt.LayerChart = themed((span + marks).properties(height=110))
    return chart


def timeline(card: dict, today: date) -> None:
    start, end = card["starts_on"], card["ends_on"]
    show_chart(timeline_chart, start, end, card["signed_on"], today, width="stretch")
    total = (end - start).days
    elapsed = min(max((today - start).days, 0), total)
    st.caption(
        f"Convention du {fmt.long_date(start)} au {fmt.long_date(end)} : "
        f"{fmt.number(elapsed)} jours écoulés sur {fmt.number(total)} "
        f"({fmt.percent(elapsed / total if total else None)})."
    )


# ------------------------------------------------------------------ the plan's hierarchy

INDENT = "\u2003\u2003"  # two em spaces a level: kept by the table, unlike plain spaces
MARKS = {"orientation": "▸ ", "none": "▸ ", "action": "· "}


def _plan_label(row) -> str:
    """« ▸ E1 — Accompagner les familles », indented by level; a fiche with its status."""
    text = row.title if row.code is None else f"{row.code} — {row.title}"
    if row.kind == "action":
        text += f" ({row.status_label})"
    return INDENT * (int(row.level) - 1) + MARKS[row.kind] + text


def plan_table(plan: pd.DataFrame, *, alt_text: str = "Plan de la convention") -> None:
    """The plan as an indented table (enjeu → objectif → fiche), its progress rolled up at each
    level: one narrow column of names and one of progress reads on a phone as on a screen."""
    if plan.empty:
        st.info("Aucune orientation ni action pour cette sélection.")
        return
    table = pd.DataFrame(
        {
            "Plan": [_plan_label(row) for row in plan.itertuples()],
            "Avancement": [None if fmt.missing(p) else round(float(p)) for p in plan["progress"]],
            "Attendu": [None if fmt.missing(e) else round(float(e)) for e in plan["expected"]],
            "Calendrier": [None if fmt.missing(behind) or not behind else BEHIND for behind in plan["behind"]],
            "Fiches": [None if kind == "action" else n for kind, n in zip(plan["kind"], plan["actions"], strict=True)],
            "Non renseignées": [n or None for n in plan["unreported"]],
            "En retard": [n or None for n in plan["late"]],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        placeholder=fmt.DASH,
        alt=alt_text,
        column_config={
            "Plan": st.column_config.TextColumn("Plan", width="large"),
            "Avancement": st.column_config.ProgressColumn("Avancement", min_value=0, max_value=100, format="%d %%"),
            "Attendu": st.column_config.NumberColumn(
                "Attendu", format="%d %%", help="Avancement attendu à ce jour d'après les dates des fiches"
            ),
            "Calendrier": st.column_config.TextColumn(
                "Calendrier",
                help=f"Avancement inférieur de plus de {fmt.smart_number(settings.behind_schedule_points())} points "
                "à l'avancement attendu",
            ),
        },
    )
    orientations = plan[plan["kind"] != "action"]
    st.caption(
        "Avancement de chaque niveau : moyenne des fiches de toute sa branche, pondérée par leur poids, "
        "sans les fiches abandonnées ni celles dont le statut n'est pas renseigné (« — » : aucune fiche à compter). "
        "Attendu : la même moyenne de l'avancement que les dates de chaque fiche prévoient à ce jour. "
        + " ; ".join(
            f"{row.title if row.code is None else row.code} {fmt.percent(fmt.share(row.progress))}"
            for row in orientations.itertuples()
            if row.level == 1
        )
        + "."
    )
