"""The `ctg` command: database, seeds and checks, for administrators and scripts.

Exit codes: 0 success, 1 the data was refused or breaks a rule, 2 wrong usage.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

import ctg_data.models  # noqa: F401  (registers the tables)
from ctg_data import cli_demo_data, cli_exchange, cli_remind, cli_report_pdf, cli_users, db
from ctg_data.cli_report import print_notes
from ctg_data.errors import DatabaseUnavailable
from ctg_data.settings import DEMO_SEED

SEED_ACTOR = "ctg seed"


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    db.upgrade()
    print("Base de données à jour.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from ctg_data.demo import database_has_data
    from ctg_data.interchange import FormatError, load_folder

    engine = db.get_engine()
    empty_before = not database_has_data(engine)
    if args.if_empty and not empty_before:
        print("La base contient déjà des données : rien n'est chargé.")
        return 0
    try:
        report = load_folder(
            args.folder, actor=SEED_ACTOR, engine=engine, dry_run=args.dry_run, shared_updates=args.shared_updates
        )
    except FormatError as error:
        return _refused(error.errors)
    if not report.ok:
        return _refused(report.errors)
    for sheet, counts in report.counts.items():
        print(
            f"{sheet:14} créées {counts['created']:5}  modifiées {counts['updated']:5}  "
            f"corrigées {counts['corrected']:5}  inchangées {counts['unchanged']:5}"
        )
    print_notes(report)
    print("Simulation : rien n'a été écrit." if args.dry_run else "Chargement terminé.")
    if args.dry_run:
        return 0
    db.refresh_statistics(engine)
    # Demo accounts (public passwords), one per role: only with the demo folder, into a database
    # that held nothing before; a real database gets its first administrator from `ctg user add`.
    from pathlib import Path

    from ctg_data.accounts import create_demo_accounts, user_count

    if Path(args.folder).resolve() != Path(DEMO_SEED).resolve() or not empty_before:
        if user_count(engine) == 0:
            print("Aucun compte : créez le premier administrateur avec « ctg user add ADRESSE --role admin ».")
        return 0
    created = create_demo_accounts(engine)
    if created:
        print("Comptes de démonstration créés (mots de passe publics, voir le README) :")
        for account in created:
            print(f"  {account.email:22} {account.role:11} {account.password}")
    return 0


def _refused(errors: Sequence[object]) -> int:
    print(f"Chargement refusé, rien n'a été écrit ({len(errors)} erreur(s)) :", file=sys.stderr)
    for error in errors:
        print(f"  - {error}", file=sys.stderr)
    return 1


def cmd_check(_args: argparse.Namespace) -> int:
    from ctg_data.reports.integrity import table_counts, violations

    with Session(db.get_engine()) as session:
        counts = table_counts(session)
        found = violations(session)
    print("Lignes par table :")
    for name, count in counts.items():
        print(f"  {name:20} {count:8}")
    errors = [violation for violation in found if not violation.warning]
    warnings = [violation for violation in found if violation.warning]
    if warnings:  # said, not failed: they may be right (an intercommunal syndicate's facility)
        print(f"{len(warnings)} avertissement(s) :")
        for violation in warnings:
            print(f"  - {violation.rule} : {violation.detail}")
    if not errors:
        print("Aucune règle enfreinte.")
        return 0
    print(f"{len(errors)} règle(s) enfreinte(s) :")
    for violation in errors:
        print(f"  - {violation.rule} : {violation.detail}")
    return 1


def cmd_bonus(args: argparse.Namespace) -> int:
    from ctg_data.queries.funding import all_conventions, convention_by_code
    from ctg_data.reports.bonus_script import script_csv, script_rows, script_table

    engine = db.get_engine()
    if args.convention:
        convention = convention_by_code(engine, args.convention)
        if convention is None:
            known = ", ".join(c["code"] for c in all_conventions(engine)) or "aucune"
            print(f"Convention inconnue : « {args.convention} » (conventions enregistrées : {known}).", file=sys.stderr)
            return 2
        conventions = [convention]
    else:
        # Only the conventions running that year: a facility's bonus belongs to one of them.
        conventions = [c for c in all_conventions(engine) if c["starts_on"].year <= args.year <= c["ends_on"].year]
    rows = script_rows(engine, conventions, args.year, today=args.today)
    if args.format == "csv":
        script_csv(rows, sys.stdout)
    else:
        print(script_table(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ctg", description="Tableau de bord CTG : administration.")
    commands = parser.add_subparsers(dest="command", required=True)

    database = commands.add_parser("db", help="base de données")
    db_commands = database.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="créer ou migrer le schéma").set_defaults(func=cmd_db_upgrade)

    seed = commands.add_parser("seed", help="charger un dossier de CSV au format d'échange")
    seed.add_argument(
        "folder", nargs="?", default=str(DEMO_SEED), help="dossier de CSV (par défaut : la convention de démonstration)"
    )
    seed.add_argument(
        "--if-empty", action="store_true", help="ne charger que si la base ne contient encore aucune convention"
    )
    seed.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
    seed.add_argument("--shared-updates", action="store_true", help=cli_exchange.SHARED_UPDATES_HELP)
    seed.set_defaults(func=cmd_seed)

    commands.add_parser("check", help="compter les lignes et vérifier les règles").set_defaults(func=cmd_check)

    bonus = commands.add_parser("bonus", help="rapprochement du bonus territoire CTG par équipement")
    bonus.add_argument("--year", type=int, required=True, help="année (ex. 2024)")
    bonus.add_argument("--convention", help="code de la convention (par défaut : toutes celles de l'année)")
    bonus.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table (lecture, libellés français) ou csv (scripts : codes d'alerte, "
        "séparateur virgule, décimales avec point)",
    )
    bonus.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date de référence AAAA-MM-JJ : une année dont la déclaration n'est pas "
        "échue est « prévisionnelle » (par défaut : CTG_TODAY ou la date du jour)",
    )
    bonus.set_defaults(func=cmd_bonus)
    cli_exchange.register(commands)  # import, export, template
    cli_users.register(commands)  # user …, convention access
    cli_remind.register(commands)  # remind: the « À saisir » digests by e-mail
    cli_report_pdf.register(commands)  # report: a meeting's printable report
    cli_demo_data.register(commands)  # demo-data: national synthetic data
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DatabaseUnavailable as error:
        print(f"{error}\nCause : {error.detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
