"""`ctg` commands: exchange (registered by ctg_data.cli).

    ctg import FICHIER.xlsx|FICHIER.csv|DOSSIER [--dry-run]
    ctg export FICHIER.xlsx|FICHIER.zip [--convention CODE]
    ctg template FICHIER.xlsx

The command line acts as COMMAND_LINE (an administrator); imports are recorded under its name
in the audit trail. Exit codes as for every `ctg` command: 0 done, 1 refused, 2 wrong usage.
"""

import argparse
import sys
from pathlib import Path

from ctg_data.actors import COMMAND_LINE
from ctg_data.cli_report import print_notes

OUTCOMES = (("created", "créées"), ("updated", "modifiées"), ("corrected", "corrigées"), ("unchanged", "inchangées"))


SHARED_UPDATES_HELP = (
    "mettre à jour les référentiels partagés (communes, organisations…) avec les valeurs du "
    "fichier ; sans cette option, une valeur différente de la base est refusée"
)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this group's subcommands to the `ctg` parser."""
    imported = commands.add_parser(
        "import", help="importer un classeur .xlsx, un fichier .csv, un dossier de CSV ou leur .zip (tout ou rien)"
    )
    imported.add_argument("source", help="classeur .xlsx, fichier <feuille>.csv, dossier de CSV ou .zip de CSV")
    imported.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
    imported.add_argument("--shared-updates", action="store_true", help=SHARED_UPDATES_HELP)
    imported.set_defaults(func=cmd_import)

    exported = commands.add_parser(
        "export", help="exporter les conventions au format d'échange (.xlsx, ou fichiers CSV dans un .zip)"
    )
    exported.add_argument(
        "file",
        help="classeur à écrire (.xlsx ; un .zip de fichiers CSV à côté si un onglet dépasse la limite "
        "d'Excel) ou .zip de fichiers CSV",
    )
    exported.add_argument("--convention", help="code d'une convention (par défaut : toutes)")
    exported.set_defaults(func=cmd_export)

    template = commands.add_parser("template", help="écrire le modèle vide du classeur d'échange")
    template.add_argument("file", help="classeur à écrire (.xlsx)")
    template.set_defaults(func=cmd_template)


def cmd_import(args: argparse.Namespace) -> int:
    from ctg_data.db import get_engine, refresh_statistics
    from ctg_data.interchange.importer import import_workbook

    report = import_workbook(
        get_engine(), COMMAND_LINE, Path(args.source), dry_run=args.dry_run, shared_updates=args.shared_updates
    )
    for where, reading in report.readings.items():  # encoding and separator of each CSV file
        print(f"{where} : {reading}", file=sys.stdout if report.ok else sys.stderr)
    if not report.ok:
        print(f"Import refusé, rien n'a été écrit ({len(report.errors)} erreur(s)) :", file=sys.stderr)
        for error in report.errors:
            print(f"  - {error}", file=sys.stderr)
        return 1
    for sheet, counts in report.counts.items():
        print(f"{sheet:14} " + "  ".join(f"{label} {counts[key]:5}" for key, label in OUTCOMES))
    print_notes(report)  # shared rows changed on request, warnings
    if args.dry_run:
        print("Simulation : rien n'a été écrit.")
    else:
        print("Import terminé." if report.changed else "Import terminé : aucune donnée n'a changé.")
    if report.changed and not args.dry_run:
        refresh_statistics(get_engine())
    return 0


def _xlsx_path(name: str, *, zip_too: bool = False) -> Path | None:
    path = Path(name)
    if path.suffix.lower() != ".xlsx" and not (zip_too and path.suffix.lower() == ".zip"):
        what = "l'extension .xlsx ou .zip" if zip_too else "l'extension .xlsx"
        print(f"Le fichier à écrire doit porter {what} : « {name} ».", file=sys.stderr)
        return None
    return path


def _write(path: Path, data: bytes) -> bool:
    try:
        path.write_bytes(data)
    except OSError as error:
        print(f"Impossible d'écrire « {path} » : {error.strerror or error}.", file=sys.stderr)
        return False
    return True


def cmd_export(args: argparse.Namespace) -> int:
    from ctg_data.db import get_engine
    from ctg_data.interchange.export import UnknownConvention
    from ctg_data.interchange.export_files import export_to_path

    path = _xlsx_path(args.file, zip_too=True)
    if path is None:
        return 2
    try:
        # Streamed to the file: a national export is never held in memory whole.
        written = export_to_path(get_engine(), path, convention_code=args.convention, actor=COMMAND_LINE)
    except UnknownConvention as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Impossible d'écrire « {error.filename or path} » : {error.strerror or error}.", file=sys.stderr)
        return 1
    if written.plan.reason and path.suffix.lower() == ".xlsx":
        print(written.plan.reason)
    what = f"la convention {args.convention}" if args.convention else "toutes les conventions"
    print(f"Export de {what} écrit dans {written.path}.")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from ctg_data.db import get_engine
    from ctg_data.interchange.workbook import write_template

    path = _xlsx_path(args.file)
    if path is None:
        return 2
    if not _write(path, write_template(get_engine())):
        return 1
    print(f"Modèle écrit dans {path}.")
    return 0
