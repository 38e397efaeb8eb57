"""Import / export: the empty template, a checked import (« Vérifier » runs a dry run, then
« Importer » applies it all or nothing) and the export of the current convention, all in the
exchange workbook of FORMAT.md."""

import functools
import hashlib
import logging

import pandas as pd
import streamlit as st

from ctg_data.actors import ROLE_LABELS
from ctg_data.interchange import LoadError, LoadReport
from ctg_data.interchange.export import export_workbook, exportable_conventions
from ctg_data.interchange.importer import IMPORTERS, error_rows, import_upload, summary_rows
from ctg_data.interchange.limits import max_upload_mb
from ctg_data.interchange.workbook import write_template
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.page import SAVED, run_page, start_plain

TITLE = "Import / export"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKED, IMPORTED = "ie_checked", "ie_imported"  # session keys: (file fingerprint, report)

LOG = logging.getLogger(__name__)

exportable = cached_query(exportable_conventions)


@st.cache_data(max_entries=1, show_spinner=False)
def template() -> bytes:
    return write_template()


def main() -> None:
    # Not start(): an import may span several conventions, or be the first data of an empty
    # database, where start() would stop the page.
    actor = start_plain(TITLE)
    template_section()
    export_section(actor)
    import_section(actor)


def template_section() -> None:
    st.subheader("Modèle à remplir")
    st.caption("Un onglet par feuille du format d'échange, les colonnes obligatoires en gras, des "
               "listes déroulantes pour les référentiels et un onglet « Mode d'emploi ».")
    st.download_button("Télécharger le modèle (.xlsx)", data=template(), file_name="modele-ctg.xlsx",
                       mime=XLSX_MIME, icon=":material/download:", on_click="ignore")


def export_section(actor) -> None:
    st.subheader("Exporter")
    conventions = exportable(actor)
    if not conventions:
        st.info("Aucune convention à exporter.")
        return
    codes = list(conventions)
    current = st.query_params.get("convention") or (st.session_state.get(SAVED) or {}).get("convention")
    code = st.selectbox("Convention à exporter", codes, index=codes.index(current) if current in codes else 0,
                        format_func=conventions.get, key="ie_convention")
    st.caption("Toute la convention au format d'échange : les organisations et communes qu'elle cite, "
               "le barème de ses années et les valeurs en vigueur des indicateurs (l'historique des "
               "corrections reste dans le tableau de bord).")
    build = functools.partial(export_workbook, engine(), convention_code=code, actor=actor)
    st.download_button("Exporter la convention (.xlsx)", data=build, file_name=f"{code}.xlsx",
                       mime=XLSX_MIME, icon=":material/table_view:", on_click="ignore")


def import_section(actor) -> None:
    st.subheader("Importer")
    if actor.role not in IMPORTERS:
        st.info("L'import est réservé aux administrateurs et aux conseillers CAF "
                f"(votre rôle : {ROLE_LABELS[actor.role]}).")
        return
    st.caption(f"Un classeur .xlsx au format du modèle, ou un seul fichier CSV nommé d'après sa feuille "
               f"(par exemple mesures.csv) ; {max_upload_mb():g} Mo au plus. « Vérifier » simule "
               "l'import sans rien écrire ; « Importer » écrit tout, ou rien à la moindre erreur. Chaque "
               "ligne suit les règles des formulaires ; seuls les administrateurs y modifient les "
               "référentiels et le plan des conventions (actions, indicateurs, équipements…).")
    uploaded = st.file_uploader("Fichier à importer", type=["xlsx", "csv"], key="ie_upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    fingerprint = (uploaded.name, hashlib.sha256(data).hexdigest())
    check_column, import_column, _ = st.columns([1, 1, 4])
    if check_column.button("Vérifier", icon=":material/fact_check:"):
        st.session_state[CHECKED] = (fingerprint, run(actor, uploaded.name, data, dry_run=True))
        st.session_state.pop(IMPORTED, None)
    checked = _for_this_file(CHECKED, fingerprint)
    ready = checked is not None and checked.ok
    if import_column.button("Importer", type="primary", disabled=not ready, icon=":material/upload:",
                            help=None if ready else "Vérifiez d'abord le fichier : l'import n'est "
                                                    "possible que sans aucune erreur."):
        st.session_state[IMPORTED] = (fingerprint, run(actor, uploaded.name, data, dry_run=False))
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


def run(actor, name: str, data: bytes, *, dry_run: bool):
    bar = st.progress(0.0, text="Lecture du fichier…")

    def progress(sheet: str, done: int, total: int) -> None:
        bar.progress(done / total, text=f"{sheet} : {done} / {total} lignes")

    try:
        report = import_upload(engine(), actor, name, data, dry_run=dry_run, progress=progress)
    except Exception:  # the database is unreachable, say: the transaction was rolled back
        LOG.exception("import de %s interrompu", name)
        report = LoadReport(errors=[LoadError("import", None, None, "l'import n'a pas pu aboutir (erreur "
                                              "technique, consignée dans le journal du serveur) ; rien "
                                              "n'a été écrit")])
    bar.empty()
    return report


def show_report(report, *, dry_run: bool) -> None:
    if report.errors:
        st.error(f"{len(report.errors)} erreur(s) : rien n'a été écrit. Corrigez le fichier puis "
                 "vérifiez-le à nouveau.")
        errors = pd.DataFrame(error_rows(report), columns=["Feuille", "Ligne", "Colonne", "Message"])
        errors["Ligne"] = errors["Ligne"].astype("Int64")
        st.dataframe(errors, hide_index=True, width="stretch")
        return
    if dry_run:
        st.success("Vérification réussie : aucune erreur. Voici ce que l'import fera ; rien n'est "
                   "encore écrit.")
    elif report.changed:
        st.success("Import terminé : les données ci-dessous ont été écrites.")
    else:
        st.success("Import terminé : aucune donnée n'a changé (le fichier était déjà à jour).")
    summary = pd.DataFrame(summary_rows(report))
    st.dataframe(summary, hide_index=True, height=35 * (len(summary) + 1) + 3)


run_page(main)
