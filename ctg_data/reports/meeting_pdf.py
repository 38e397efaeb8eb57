"""The meeting report as a PDF: A4, French, « Page n / N », charts drawn server-side.

fpdf2 rather than WeasyPrint: it is pure Python (no pango/cairo from the system, so the app's
lock alone installs it, on any machine), it lays out exactly the few things a report needs
(headings, wrapped tables repeating their header across pages, images), and its text is always
plain text — no HTML template in which a decision or a place typed by someone could become markup.
The charts are the app's own Altair specifications (ctg_data.chart_specs) turned into PNG by
vl-convert (Altair's exporter, a self-contained wheel). Both the PDF and the charts use DejaVu
Sans, which carries every French character, the narrow no-break space of French numbers and the
status symbols; it comes from Debian's fonts-dejavu-core (scripts/ensure-system-packages).
"""

import io
import struct
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert
from fpdf import FPDF
from fpdf.fonts import FontFace

from ctg_data import formats as fmt
from ctg_data.chart_specs import (
    change_counts_chart,
    domain_progress_chart,
    indicator_status_chart,
    no_domain_behind,
    progress_for_expected,
    stages_chart,
)
from ctg_data.errors import SettingError
from ctg_data.reports.meeting_report import (
    YEAR_ON_YEAR,
    ReportData,
    behind_domains,
    bonus_summary,
    cell_text,
    change_counts,
    change_lines,
    decision_rows,
    indicator_rows,
    late_actions,
    lever_rows,
    off_track,
    percent_of,
    year_on_year_rows,
)
from ctg_data.vocabulary import Attendance

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT = "DejaVu"
CHART_FONT = "DejaVu Sans"
MARGIN = 15  # mm
CHART_WIDTH_PX = 620  # the plot's width in CSS pixels: about the printed width at 96 dpi
CHART_SCALE = 2  # pixels per CSS pixel: sharp on paper
GREY = (90, 90, 90)
INDICATOR_WIDTHS = (16, 36, 16, 11, 9, 14)  # code, name, value, date, attainment, status
# code, name, N − 1, N, change, trend, reference, since the reference, unit
YEAR_ON_YEAR_WIDTHS = (15, 26, 10, 10, 14, 14, 12, 17, 12)
# A long code (« AVS-LANNEDARRE-PASSAGES ») wraps after a hyphen, not in the middle of a word:
# fpdf2 breaks lines at spaces only, a zero-width space among them.
CODE, BREAK = "Code", "\u200b"
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 236, 243))


def font_dir() -> Path:
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            return folder
    raise SettingError(
        "Police DejaVu introuvable : installez le paquet Debian fonts-dejavu-core "
        "(scripts/ensure-system-packages) pour produire le rapport PDF."
    )


@cache
def _chart_fonts(folder: str) -> None:
    vl_convert.register_font_directory(folder)


def chart_png(chart: alt.TopLevelMixin, width: int = CHART_WIDTH_PX) -> bytes:
    """The chart as the app draws it, at `width` CSS pixels, in DejaVu Sans."""
    _chart_fonts(str(font_dir()))
    spec: dict[str, Any] = chart.to_dict()
    spec["width"] = width
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    config = spec.setdefault("config", {})
    config["font"] = CHART_FONT
    # On paper the legend cannot scroll: wrap it in columns rather than cut its last items.
    config.setdefault("legend", {})["columns"] = 3
    spec["background"] = "white"
    return bytes(vl_convert.vegalite_to_png(spec, scale=CHART_SCALE))


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk of every PNG
    return width, height


class ReportPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        folder = font_dir()
        self.add_font(FONT, "", str(folder / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        self.set_font(FONT, size=10)
        self.set_lang("fr")

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, f"Page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -------------------------------------------------------------- building blocks

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font(FONT, size=10)

    def subheading(self, text: str) -> None:
        if self.will_page_break(40):  # a heading never ends a page: it goes with what follows
            self.add_page()
        self.ln(2)
        self.heading(text, 12)

    def para(self, text: str, size: int = 10, grey: bool = False) -> None:
        self.set_font(FONT, size=size)
        if grey:
            self.set_text_color(*GREY)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def bullets(self, lines: Sequence[str], empty: str) -> None:
        if not lines:
            self.para(empty, grey=True)
            return
        for line in lines:
            self.multi_cell(0, 5, f"• {line}", align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def frame_table(self, frame: pd.DataFrame, widths: Sequence[float], empty: str, size: int = 8) -> None:
        """A table of plain text cells (never markup), its header repeated on each page."""
        if frame.empty:
            self.para(empty, grey=True)
            return
        self.set_font(FONT, size=size)
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            text_align="LEFT",
            headings_style=HEADINGS,
            line_height=size * 0.5,
            padding=1,
            markdown=False,
        ) as table:
            header = table.row()
            for column in frame.columns:
                header.cell(str(column))
            room = [self.epw * w / sum(widths) - 2 for w in widths]  # a cell's text width (padding: 1 mm)
            codes = [column == CODE for column in frame.columns]
            for values in frame.itertuples(index=False, name=None):
                row = table.row()
                for value, code, space in zip(values, codes, room, strict=True):
                    text = cell_text(value)
                    # Only a code that must wrap gets its break points: one that fits stays searchable.
                    wraps = code and self.get_string_width(text) > space
                    row.cell(text.replace("-", "-" + BREAK) if wraps else text)
        self.set_font(FONT, size=10)
        self.ln(3)

    def chart(self, chart: alt.TopLevelMixin) -> None:
        png = chart_png(chart)
        width_px, height_px = png_size(png)
        height = self.epw * height_px / width_px
        if self.will_page_break(height):
            self.add_page()
        self.image(io.BytesIO(png), x=MARGIN, w=self.epw, h=height)
        self.ln(3)


# ------------------------------------------------------------------ the pages


def _cover(pdf: ReportPDF, data: ReportData) -> None:
    card, meeting = data.convention, data.meeting
    pdf.add_page()
    pdf.ln(30)
    pdf.para("Convention territoriale globale", 12, grey=True)
    pdf.heading(card["name"], 22)
    pdf.para(f"Code {card['code']} · du {fmt.long_date(card['starts_on'])} au {fmt.long_date(card['ends_on'])}")
    pdf.ln(10)
    pdf.heading(f"Rapport : {data.title}", 18)
    if meeting:
        pdf.para(f"Réunion : {meeting['kind_label']}" + (f" « {meeting['theme']} »" if meeting["theme"] else ""))
        pdf.para(f"Date : {fmt.long_date(meeting['held_on'])}")
        pdf.para(f"Lieu : {meeting['place'] or 'non renseigné'}")
        pdf.para(f"Statut : {meeting['status_label']}")
    else:
        pdf.para("Sans réunion : la situation de la convention à ce jour.")
    pdf.para(data.source_line, 9, grey=True)
    if not meeting:
        return
    participants = meeting["participants"]
    for attendance, title in ((Attendance.PRESENT, "Présents"), (Attendance.EXCUSE, "Excusés")):
        chosen = participants[participants["attendance"] == attendance] if not participants.empty else participants
        pdf.subheading(title)
        pdf.bullets(
            [
                f"{row.organisation}" + (f" — {row.person}" if isinstance(row.person, str) and row.person else "")
                for row in chosen.itertuples()
            ],
            "Personne." if attendance == Attendance.EXCUSE else "Aucun participant enregistré.",
        )


def _summary(pdf: ReportPDF, data: ReportData) -> None:
    pdf.add_page()
    pdf.heading("Synthèse")
    convention = data.table("convention")
    if not convention.empty:
        row = convention.iloc[0]
        behind = " — en retard sur le calendrier" if row["behind"] else ""
        pdf.para(f"Avancement de la convention : {progress_for_expected(row['progress'], row['expected'])}{behind}.")
    pdf.subheading("Domaines en retard sur le calendrier")
    pdf.bullets(behind_domains(data), no_domain_behind())
    domains = data.table("domains")
    if not domains.empty:
        pdf.chart(domain_progress_chart(domains))
        pdf.para(
            "Le trait sombre marque l'avancement attendu à la date des chiffres, d'après les dates des actions.",
            size=8,
            grey=True,
        )
    pdf.subheading("Actions en retard")
    late = late_actions(data)
    pdf.frame_table(late[["Code", "Action", "Pilote", "Avancement", "Fin prévue"]], (10, 46, 24, 11, 11), "Aucune.")
    pdf.subheading("Indicateurs décrochés ou à surveiller")
    pdf.frame_table(indicator_rows(off_track(data)), INDICATOR_WIDTHS, "Aucun.")
    pdf.subheading("Décisions ouvertes")
    pdf.frame_table(decision_rows(data.open_decisions, with_meeting=True), (17, 43, 18, 11, 10), "Aucune.")


def _domains(pdf: ReportPDF, data: ReportData) -> None:
    indicators = data.table("indicators")
    for row in data.table("domains").sort_values("position").itertuples():
        pdf.add_page()
        pdf.heading(f"Domaine : {row.domain}")
        late = " — en retard sur le calendrier" if row.behind else ""
        pdf.para(f"Avancement des actions : {progress_for_expected(row.progress, row.expected)}{late}.")
        pdf.para(
            f"{row.actions} action{'s' if row.actions != 1 else ''}, dont {row.done} réalisée"
            f"{'s' if row.done > 1 else ''} et {row.late} en retard ; {row.indicators} indicateur"
            f"{'s' if row.indicators != 1 else ''} (atteinte moyenne {percent_of(row.attainment)})."
        )
        chosen = indicators[indicators["domain_code"] == row.domain_code] if not indicators.empty else indicators
        if not chosen.empty:
            pdf.chart(indicator_status_chart(chosen))
        pdf.frame_table(indicator_rows(chosen), INDICATOR_WIDTHS, "Aucun indicateur dans ce domaine.")


def _year_on_year(pdf: ReportPDF, data: ReportData) -> None:
    pdf.add_page()
    pdf.heading(YEAR_ON_YEAR)
    year = data.comparison_year
    pdf.para(
        f"Les indicateurs de l'ensemble de la convention fin {year}, comparés à fin {year - 1} et à leur "
        f"référence, tels qu'enregistrés au {fmt.short_date(data.read_on)}.",
        9,
        grey=True,
    )
    pdf.frame_table(year_on_year_rows(data), YEAR_ON_YEAR_WIDTHS, "Aucun indicateur.", size=7)


def _funding(pdf: ReportPDF, data: ReportData) -> None:
    pdf.add_page()
    pdf.heading("Financements par levier")
    for section, title in (("levers_year", f"Année {data.as_of.year}"), ("levers_all", "Toutes années")):
        pdf.subheading(title)
        pdf.frame_table(lever_rows(data.table(section)), (40, 20, 20, 20), "Aucun financement.", size=9)
    levers = data.table("levers_all")
    if not levers.empty:
        pdf.chart(stages_chart(levers, "lever_label", "Levier"))
    pdf.subheading("Bonus territoire CTG")
    bonus = bonus_summary(data)
    if not bonus.lines:
        pdf.para("Aucune ligne de bonus territoire.", grey=True)
        return
    pdf.para(
        f"{bonus.lines} ligne{'s' if bonus.lines > 1 else ''} (équipement et année) : "
        f"dû {fmt.format_money(bonus.due)}, notifié {fmt.format_money(bonus.notified)}, "
        f"versé {fmt.format_money(bonus.paid)}."
    )
    flagged = bonus.flagged
    pdf.para(
        f"{flagged} ligne{'s' if flagged > 1 else ''} signalée{'s' if flagged > 1 else ''} par le rapprochement "
        "(écart, dû inconnu ou bénéficiaire inattendu) : le détail est sur la page « Bonus territoire »."
        if flagged
        else "Aucune ligne signalée par le rapprochement."
    )


def _decisions_and_changes(pdf: ReportPDF, data: ReportData) -> None:
    pdf.add_page()
    title = data.previous_title
    pdf.heading(f"Décisions de la réunion précédente{f' ({title})' if title else ''}")
    pdf.para("Leur statut est celui d'aujourd'hui : ce qu'elles sont devenues.", 9, grey=True)
    pdf.frame_table(
        decision_rows(data.previous_decisions) if title else pd.DataFrame(),
        (54, 22, 11, 13),
        "Aucune décision." if title else "Aucune réunion précédente.",
    )
    pdf.subheading("Depuis le dernier COPIL")
    since = data.since
    if since is None:
        pdf.para("Aucun COPIL n'a encore été clos avant : rien à comparer.", grey=True)
        return
    until = f" au {since.until}" if since.until else " à aujourd'hui"
    pdf.para(f"Du {since.since}{until}.", 9, grey=True)
    lines = change_lines(since)
    pdf.bullets(lines, "Rien n'a changé depuis.")
    if lines:
        pdf.chart(change_counts_chart(change_counts(since)))


def report_pdf(data: ReportData) -> bytes:
    """The whole report, as PDF bytes."""
    pdf = ReportPDF(f"CTG {data.convention['code']} · {data.title}")
    pdf.set_title(f"Rapport CTG {data.convention['code']} — {data.title}")
    pdf.set_creator("Tableau de bord CTG")
    _cover(pdf, data)
    _summary(pdf, data)
    _domains(pdf, data)
    _year_on_year(pdf, data)
    _funding(pdf, data)
    _decisions_and_changes(pdf, data)
    return bytes(pdf.output())


__all__ = ["chart_png", "font_dir", "report_pdf"]
