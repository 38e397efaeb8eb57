"""Import / export: the empty template, a checked import (« Vérifier » runs a dry run, then
« Importer » applies it all or nothing) and the export of the current convention, all in the
exchange workbook (docs/format.md), or as CSV files in a zip when a sheet passes Excel's limit."""

import functools
import hashlib

import pandas as pd
import streamlit as st

from ctg_data.actors import ROLE_LABELS, Actor
from ctg_data.interchange.export import exportable_conventions
from ctg_data.interchange.export_files import export_bytes, export_plan
from ctg_data.interchange.importer import ImportReport, error_rows, import_upload, summary_rows
from ctg_data.interchange.workbook import write_template
from ctg_data.permissions import Capability, can
from ctg_data.settings import max_upload_mb
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.page import CONVENTION, PageContext, general_page
from ctg_data.ui.selection import kept_choice
from ctg_data.ui.text import escape_markdown

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKED, IMPORTED = "ie_checked", "ie_imported"  # session keys: (file fingerprint, report)

exportable = cached_query(exportable_conventions)
planned = cached_query(export_plan)  # workbook or CSV files: the download is named before the click


def template_section() -> None:
    st.subheader("Modèle à remplir")
    st.caption(
        "Un onglet par feuille du format d'échange, les colonnes obligatoires en gras, des "
        "listes déroulantes pour les référentiels et un onglet « Mode d'emploi »."
    )
    # Deferred data: the workbook is written when the person clicks, not on every page view.
    st.download_button(
        "Télécharger le modèle (.xlsx)",
        data=lambda: write_template(engine()),  # the lists of this database's referentials
        file_name="modele-ctg.xlsx",
        mime=XLSX_MIME,
        icon=":material/download:",
        on_click="ignore",
    )


def export_section(actor: Actor) -> None:
    st.subheader("Exporter")
    conventions = exportable(actor)
    if not conventions:
        st.info("Aucune convention à exporter.")
        return
    code = kept_choice(
        "Convention à exporter",
        list(conventions),
        CONVENTION,
        default=0,
        key="ie_convention",
        placeholder="Choisir une convention",
        format_func=lambda c: conventions[c],
    ) or next(iter(conventions))
    st.caption(
        "Toute la convention au format d'échange : les organisations et communes qu'elle cite, "
        "le barème de ses années et les valeurs en vigueur des indicateurs (l'historique des "
        "corrections reste dans le tableau de bord)."
    )
    plan = planned(convention_code=code, actor=actor)
    if plan.reason:
        st.info(escape_markdown(plan.reason), icon=":material/folder_zip:")  # sheet names hold « _ »
    build = functools.partial(export_bytes, engine(), convention_code=code, actor=actor, form=plan.form)
    st.download_button(
        f"Exporter la convention (.{plan.form})",
        data=build,
        file_name=f"{code}.{plan.form}",
        mime=plan.mime,
        icon=":material/table_view:",
        on_click="ignore",
    )


def import_section(actor: Actor) -> None:
    st.subheader("Importer")
    if not can(actor, Capability.IMPORT):
        st.info(
            f"L'import est réservé aux administrateurs et aux conseillers CAF (votre rôle : {ROLE_LABELS[actor.role]})."
        )
        return
    st.caption(
        f"Un classeur .xlsx au format du modèle, ou un seul fichier CSV nommé d'après sa feuille "
        f"(par exemple mesures.csv) ; {max_upload_mb():g} Mo au plus. « Vérifier » simule "
        "l'import sans rien écrire ; « Importer » écrit tout, ou rien à la moindre erreur. Chaque "
        "ligne suit les règles des formulaires ; seuls les administrateurs y modifient les "
        "référentiels et le plan des conventions (actions, indicateurs, équipements…)."
    )
    uploaded = st.file_uploader("Fichier à importer", type=["xlsx", "csv"], key="ie_upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    # Administrators only: shared rows (communes, organisations…) otherwise keep the base's values.
    shared = can(actor, Capability.WRITE_REFERENTIALS) and st.checkbox(
        "Mettre à jour les référentiels partagés (communes, organisations…)",
        key="ie_shared_updates",
        help="Sans cette case, une commune ou une organisation dont le fichier donne d'autres valeurs que la "
        "base est refusée. Avec elle, les valeurs du fichier remplacent celles de la base pour toutes "
        "les conventions, et chaque changement est listé.",
    )
    fingerprint = (uploaded.name, hashlib.sha256(data).hexdigest(), shared)  # a check holds for one choice
    check_column, import_column, _ = st.columns([1, 1, 4])
    if check_column.button("Vérifier", icon=":material/fact_check:"):
        st.session_state[CHECKED] = (fingerprint, run(actor, uploaded.name, data, dry_run=True, shared=shared))
        st.session_state.pop(IMPORTED, None)
    checked = _for_this_file(CHECKED, fingerprint)
    ready = checked is not None and checked.ok
    if import_column.button(
        "Importer",
        type="primary",
        disabled=not ready,
        icon=":material/upload:",
        help=None if ready else "Vérifiez d'abord le fichier : l'import n'est possible que sans aucune erreur.",
    ):
        st.session_state[IMPORTED] = (fingerprint, run(actor, uploaded.name, data, dry_run=False, shared=shared))
        st.session_state.pop(CHECKED, None)
        st.rerun()  # redraw « Importer » disabled: the data changed, a new check is due
    imported = _for_this_file(IMPORTED, fingerprint)
    if imported is not None:
        show_report(imported, dry_run=False)
    elif checked is not None:
        show_report(checked, dry_run=True)


def _for_this_file(key: str, fingerprint: tuple):
    stored = st.session_state.get(key)
    return stored[1] if stored and stored[0] == fingerprint else None


def run(actor: Actor, name: str, data: bytes, *, dry_run: bool, shared: bool = False) -> ImportReport:
    bar = st.progress(0.0, text="Lecture du fichier…")

    def progress(sheet: str, done: int, total: int) -> None:
        bar.progress(done / total, text=f"{sheet} : {done} / {total} lignes")

    # A database failure goes up to the page's boundary: the transaction was rolled back.
    report = import_upload(engine(), actor, name, data, dry_run=dry_run, progress=progress, shared_updates=shared)
    bar.empty()
    return report


def show_report(report: ImportReport, *, dry_run: bool) -> None:
    for where, reading in report.readings.items():  # which encoding and separator a CSV was read with
        st.caption(escape_markdown(f"{where.capitalize()} : {reading}."))  # the file name is the user's
    if report.errors:
        st.error(
            f"{len(report.errors)} erreur(s) : rien n'a été écrit. Corrigez le fichier puis vérifiez-le à nouveau."
        )
        errors = pd.DataFrame(error_rows(report), columns=["Feuille", "Ligne", "Colonne", "Message"])
        errors["Ligne"] = errors["Ligne"].astype("Int64")
        st.dataframe(errors, hide_index=True, width="stretch")
        return
    if dry_run:
        st.success("Vérification réussie : aucune erreur. Voici ce que l'import fera ; rien n'est encore écrit.")
    elif report.changed:
        st.success("Import terminé : les données ci-dessous ont été écrites.")
    else:
        st.success("Import terminé : aucune donnée n'a changé (le fichier était déjà à jour).")
    summary = pd.DataFrame(summary_rows(report))
    st.dataframe(summary, hide_index=True, height=35 * (len(summary) + 1) + 3)
    if report.changes:  # shared rows updated at an administrator's request
        st.info(escape_markdown("Référentiels partagés mis à jour : " + " ; ".join(report.changes) + "."))
    for warning in report.warnings:  # accepted, but said (a facility outside its perimeter)
        st.warning(escape_markdown(str(warning)), icon=":material/warning:")


# Not a convention page: an import may span several conventions, or be the first data of an
# empty database, where a convention page would stop.
@general_page("Import / export")
def render(context: PageContext) -> None:
    template_section()
    export_section(context.actor)
    import_section(context.actor)
