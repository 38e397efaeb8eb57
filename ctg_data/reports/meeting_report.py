"""The printable report of a meeting (issue 14, « The report »): what one `ReportData` holds and
the French tables it is read as, shared by the PDF (reports.meeting_pdf) and the .xlsx.

The figures come from the meeting's snapshot when it was closed (queries.snapshots: exactly as
presented, whatever was corrected since), otherwise from today's live figures computed by the same
`freeze` — one document either way, read by the same code. Decisions are read live: their status
is what became of them. Who may read the convention may print its report; a partner gets only the
decisions concerning its organisation (queries.meetings), as on the Comités page.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine
from sqlmodel import Session

from ctg_data import formats as fmt
from ctg_data.actors import Actor
from ctg_data.chart_specs import progress_for_expected
from ctg_data.errors import PermissionDenied
from ctg_data.permissions import require_read_convention
from ctg_data.queries.changes import SinceCopil, between_meetings, since_last_copil
from ctg_data.queries.conventions import convention_card
from ctg_data.queries.filters import today as reference_today
from ctg_data.queries.meetings import meeting_detail, meetings_frame, open_decisions
from ctg_data.queries.snapshots import freeze, frozen_figures, table_of
from ctg_data.queries.year_on_year import indicators_year_on_year
from ctg_data.reports.exports import MONEY_FORMAT, neutralised
from ctg_data.reports.year_on_year import indicator_table  # the screen's table, shared
from ctg_data.rules.indicators import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus, clip, shown_value
from ctg_data.vocabulary import MeetingStatus

OFF_TRACK = (IndicatorStatus.DECROCHE, IndicatorStatus.A_SURVEILLER)
YES, NO = "oui", "non"


@dataclass(frozen=True)
class ReportData:
    """Everything one report prints. `document` is a snapshot document (queries.snapshots)."""

    convention: dict[str, Any]  # convention_card
    title: str  # « COPIL du 12/03/2025 » or « Situation au 26/11/2026 »
    meeting: dict[str, Any] | None  # meeting_detail (None: a report of today's figures)
    as_of: date
    frozen_at: datetime | None  # when the snapshot was taken (None: live figures)
    document: dict[str, Any]
    open_decisions: pd.DataFrame
    previous_title: str | None
    previous_decisions: pd.DataFrame
    since: SinceCopil | None
    # « D'une année à l'autre »: the indicators at the end of `comparison_year` and of the year
    # before (queries.year_on_year, read on `read_on`). Past years, read live: not in the snapshot.
    comparison_year: int
    read_on: date
    year_on_year: pd.DataFrame

    def table(self, section: str) -> pd.DataFrame:
        return table_of(self.document, section)

    @property
    def source_line(self) -> str:
        if self.frozen_at is not None:
            return (
                f"Chiffres au {fmt.short_date(self.as_of)}, conservés à la clôture de la réunion "
                f"({fmt.format_time(self.frozen_at)}) : ils ne changent plus, même si une donnée est corrigée ensuite."
            )
        return f"Chiffres du jour, calculés le {fmt.short_date(self.as_of)} (réunion non close)."


# ------------------------------------------------------------------ assembling


def build_report(
    engine: Engine, actor: Actor, convention_id: int, meeting_id: int | None = None, today: date | None = None
) -> ReportData:
    """The report of `meeting_id` (its snapshot if closed, else today's figures) or, without a
    meeting, of today's figures; refused to whoever may not read the convention."""
    with Session(engine) as session:
        require_read_convention(session, actor, convention_id)
    today = today or reference_today()
    card = convention_card(engine, convention_id)
    assert card is not None  # readable, so it exists
    meetings = meetings_frame(engine, convention_id)
    meeting = None
    if meeting_id is not None:
        meeting = meeting_detail(engine, meeting_id, actor)
        if meeting is None or meeting["convention_id"] != convention_id:
            raise PermissionDenied("Cette réunion n'existe pas dans cette convention.")
    closed = meeting_id is not None and meeting is not None and meeting["status"] == MeetingStatus.CLOSE
    frozen = frozen_figures(engine, meeting_id) if closed and meeting_id is not None else None
    document = frozen.document if frozen is not None else freeze(engine, convention_id, today)
    held_until = meeting["held_on"] if meeting else today
    previous = _previous(meetings, meeting_id, held_until)
    if frozen is not None and meeting_id is not None:
        since = between_meetings(engine, meeting_id)
    else:
        since = since_last_copil(engine, convention_id, today, before=held_until)
    previous_decisions = (
        _decisions_of(engine, int(previous["id"]), actor) if previous is not None else pd.DataFrame(columns=["text"])
    )
    return ReportData(
        convention=card,
        title=meeting["title"] if meeting else f"Situation au {fmt.short_date(today)}",
        meeting=meeting,
        as_of=frozen.as_of if frozen is not None else today,
        frozen_at=frozen.taken_at if frozen is not None else None,
        document=document,
        open_decisions=open_decisions(engine, convention_id, held_until, actor),
        previous_title=None if previous is None else str(previous["title"]),
        previous_decisions=previous_decisions,
        since=since,
        comparison_year=comparison_year(held_until),
        read_on=today,
        year_on_year=indicators_year_on_year(engine, convention_id, comparison_year(held_until), today),
    )


def comparison_year(held_on: date) -> int:
    """The last full year before the meeting (or today, without one): N of « N vs N − 1 »."""
    return held_on.year - 1


def _previous(meetings: pd.DataFrame, meeting_id: int | None, held_until: date) -> Any:
    """The meeting held before this one (latest first order of meetings_frame), or None."""
    for row in meetings.itertuples():
        if row.id == meeting_id:
            continue
        if row.held_on < held_until or (row.held_on == held_until and meeting_id is not None and row.id < meeting_id):
            return meetings.loc[row.Index]
    return None


def _decisions_of(engine: Engine, meeting_id: int, actor: Actor) -> pd.DataFrame:
    detail = meeting_detail(engine, meeting_id, actor)
    return detail["decisions"] if detail else pd.DataFrame(columns=["text"])


# ------------------------------------------------------------------ reading it as tables


def percent(value: object) -> str:
    return fmt.percent(fmt.share(value))  # type: ignore[arg-type]


def status_text(status: str) -> str:
    """« ✔ Atteint »: never told by colour alone, on paper either."""
    known = IndicatorStatus(status)
    return f"{STATUS_SYMBOLS[known]} {STATUS_LABELS[known]}"


def indicator_value(row: pd.Series) -> str:
    """The frozen value as read on screen (a step indicator's as its step), with its unit."""
    steps = row.get("steps") or None
    value = shown_value(row["current_value"], tuple(steps) if steps else None)
    unit = row.get("unit") or ""
    return value if steps or value == fmt.DASH or not unit else f"{value} {unit}"


def domain_rows(data: ReportData) -> pd.DataFrame:
    domains = data.table("domains")
    return pd.DataFrame(
        {
            "Domaine": domains["domain"],
            "Actions": domains["actions"],
            "Avancement": [percent(v) for v in domains["progress"]],
            "Attendu": [percent(v) for v in domains["expected"]],
            "Calendrier": ["en retard" if b else "" for b in domains["behind"]],
            "Actions en retard": domains["late"],
            "Indicateurs": domains["indicators"],
        }
    )


def indicator_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Code": indicators["code"],
            "Indicateur": indicators["name"],
            "Valeur": [indicator_value(row) for _, row in indicators.iterrows()],
            "Mesurée le": indicators["current_date"],
            # Clipped to 0–100 % as on screen: a value beyond its reference reads 0 %, not −250 %.
            "Atteinte": [
                fmt.DASH if r.get("steps") or fmt.missing(r["attainment"]) else percent_of(clip(float(r["attainment"])))
                for _, r in indicators.iterrows()
            ],
            "Statut": [status_text(s) for s in indicators["status"]],
        },
        columns=["Code", "Indicateur", "Valeur", "Mesurée le", "Atteinte", "Statut"],
    )


def percent_of(ratio: object) -> str:
    return fmt.DASH if fmt.missing(ratio) else fmt.percent(ratio)  # type: ignore[arg-type]


def off_track(data: ReportData) -> pd.DataFrame:
    indicators = data.table("indicators")
    return indicators[indicators["status"].isin(list(OFF_TRACK))] if not indicators.empty else indicators


def late_actions(data: ReportData) -> pd.DataFrame:
    actions = data.table("actions")
    late = actions[actions["late"].astype(bool)] if not actions.empty else actions
    return pd.DataFrame(
        {
            "Code": late["code"],
            "Action": late["title"],
            "Domaine": late["domain"],
            "Pilote": late["pilot"],
            "Avancement": [percent(v) for v in late["progress"]],
            "Fin prévue": late["ends_on"],
        },
        columns=["Code", "Action", "Domaine", "Pilote", "Avancement", "Fin prévue"],
    )


def decision_rows(decisions: pd.DataFrame, with_meeting: bool = False) -> pd.DataFrame:
    headers = [*(["Réunion"] if with_meeting else []), "Décision", "Responsable", "Échéance", "Statut"]
    if decisions.empty:
        return pd.DataFrame(columns=headers)
    columns = {
        **({"Réunion": decisions["meeting"]} if with_meeting else {}),
        "Décision": decisions["text"],
        "Responsable": decisions["owner"].fillna(""),
        "Échéance": [None if fmt.missing(d) else d for d in decisions["due_on"]],
        "Statut": decisions["status_label"],
    }
    return pd.DataFrame(columns, columns=headers)


def lever_rows(levers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Levier": levers["lever_label"],
            "Prévu": levers["planned"],
            "Notifié": levers["notified"],
            "Versé": levers["paid"],
        },
        columns=["Levier", "Prévu", "Notifié", "Versé"],
    )


@dataclass(frozen=True)
class BonusSummary:
    lines: int
    flagged: int
    due: Decimal
    notified: Decimal
    paid: Decimal


def bonus_summary(data: ReportData) -> BonusSummary:
    """The bonus territoire lines' totals (an unknown amount counts as none) and how many lines
    the reconciliation flags."""
    bonus = data.table("bonus")

    def total(column: str) -> Decimal:
        return sum((v for v in bonus.get(column, []) if v is not None), Decimal(0))

    flagged = sum(1 for codes in bonus.get("flag_codes", []) if codes)
    return BonusSummary(len(bonus), flagged, total("due"), total("notified"), total("paid"))


def bonus_rows(data: ReportData) -> pd.DataFrame:
    bonus = data.table("bonus")
    return pd.DataFrame(
        {
            "Équipement": bonus.get("facility_name", []),
            "Année": bonus.get("year", []),
            "Dû": bonus.get("due", []),
            "Notifié": bonus.get("notified", []),
            "Versé": bonus.get("paid", []),
            "Alerte ou information": bonus.get("situation", []),
        },
        columns=["Équipement", "Année", "Dû", "Notifié", "Versé", "Alerte ou information"],
    )


def change_lines(since: SinceCopil) -> list[str]:
    """The changes in words, one plain line each (the PDF's and the sheet's)."""
    found = since.changes
    lines = [f"{s['code']} — {s['name']} : {s['before'] or 'nouvel indicateur'} → {s['after']}" for s in found.statuses]
    for title, actions in (
        ("réalisée", found.completed),
        ("en retard sur son échéance", found.newly_late),
        ("ajoutée au plan", found.added),
    ):
        lines += [f"Action {a['code']} — {a['title']} : {title}" for a in actions]
    lines += [
        f"{money['lever_label']} : {signed_money(money['notified'])} notifiés, {signed_money(money['paid'])} versés"
        for money in found.money
    ]
    count = len(since.measurements)
    if count:
        lines.append(f"{count} mesure{'s' if count > 1 else ''} enregistrée{'s' if count > 1 else ''} depuis.")
    return lines


def signed_money(amount: Decimal) -> str:
    return ("+" if amount > 0 else "") + fmt.format_money(amount)


def change_counts(since: SinceCopil) -> pd.DataFrame:
    """How many of each kind of change (the chart of « Depuis le dernier COPIL »)."""
    kinds = {
        "Indicateurs qui changent de statut": len(since.changes.statuses),
        "Mesures enregistrées": len(since.measurements),
        "Actions réalisées": len(since.changes.completed),
        "Actions passées en retard": len(since.changes.newly_late),
        "Actions ajoutées": len(since.changes.added),
    }
    return pd.DataFrame({"Changement": list(kinds), "Nombre": list(kinds.values())})


def behind_domains(data: ReportData) -> list[str]:
    domains = data.table("domains")
    behind = domains[domains["behind"].astype(bool)].sort_values("position") if not domains.empty else domains
    return [f"{row.domain} : {progress_for_expected(row.progress, row.expected)}" for row in behind.itertuples()]


def participant_rows(data: ReportData) -> pd.DataFrame:
    participants = data.meeting["participants"] if data.meeting else pd.DataFrame()
    if participants.empty:
        return pd.DataFrame(columns=["Organisation", "Personne", "Présence"])
    return pd.DataFrame(
        {
            "Organisation": participants["organisation"],
            "Personne": participants["person"].fillna(""),
            "Présence": participants["attendance_label"],
        }
    )


YEAR_ON_YEAR = "D'une année à l'autre"


def year_on_year_rows(data: ReportData) -> pd.DataFrame:
    """The indicators N − 1 vs N, as the Indicateurs page shows them."""
    return indicator_table(data.year_on_year, data.comparison_year, data.read_on)


def report_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every table of the report, by sheet name (the .xlsx): money stays Decimal, dates dates."""
    since = data.since
    return {
        "Participants": participant_rows(data),
        "Domaines": domain_rows(data),
        "Indicateurs": pd.concat(
            [indicator_rows(data.table("indicators")), pd.DataFrame({"Domaine": data.table("indicators")["domain"]})],
            axis=1,
        ),
        YEAR_ON_YEAR: year_on_year_rows(data),
        "Actions en retard": late_actions(data),
        "Décisions ouvertes": decision_rows(data.open_decisions, with_meeting=True),
        "Décisions précédentes": decision_rows(data.previous_decisions),
        f"Financements {data.as_of.year}": lever_rows(data.table("levers_year")),
        "Financements cumulés": lever_rows(data.table("levers_all")),
        "Bonus territoire": bonus_rows(data),
        "Depuis le dernier COPIL": pd.DataFrame({"Évolution": change_lines(since) if since else []}),
    }


MONEY_HEADERS = frozenset({"Prévu", "Notifié", "Versé", "Dû"})


def report_xlsx(data: ReportData) -> bytes:
    """The report's tables, one sheet each, bold headers, money as numbers in euros, dates as
    dates; text that a spreadsheet would run as a formula is neutralised (reports.exports)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in report_tables(data).items():
            clean = neutralised(table)
            clean.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for position, column in enumerate(clean.columns, start=1):
                letter = get_column_letter(position)
                sheet[f"{letter}1"].font = Font(bold=True)
                longest = max([len(str(column)), *(len(str(v)) for v in clean[column] if v is not None)])
                sheet.column_dimensions[letter].width = min(60, longest + 2)
                for cell in sheet[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    if column in MONEY_HEADERS:
                        cell.number_format = MONEY_FORMAT
                    elif isinstance(cell.value, datetime | date):
                        cell.number_format = "DD/MM/YYYY"
            sheet.freeze_panes = "A2"
    return buffer.getvalue()


def cell_text(value: object) -> str:
    """A table cell in French: money (Decimal), dates, numbers; "—" for no value."""
    if fmt.missing(value):
        return fmt.DASH
    if isinstance(value, Decimal):
        return fmt.format_money(value)
    if isinstance(value, date):
        return fmt.short_date(value)
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return fmt.smart_number(value)
    return str(value)


__all__ = ["ReportData", "build_report", "cell_text", "report_tables", "report_xlsx", "year_on_year_rows"]
