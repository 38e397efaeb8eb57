"""`ctg report --convention CODE [--meeting ID] [--as ADRESSE] OUT.pdf|OUT.xlsx`: the printable
report of a meeting (its snapshot once closed) or, without a meeting, of today's figures.

The command acts as an administrator (ctg_data.actors.COMMAND_LINE) unless `--as` names an
account, whose right to read the convention is then checked like on the Comités page.
"""

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from ctg_data import db
from ctg_data.actors import COMMAND_LINE, Actor
from ctg_data.errors import PermissionDenied, SettingError


def _actor(engine: Engine, email: str | None) -> Actor | None:
    if email is None:
        return COMMAND_LINE
    from sqlmodel import Session

    from ctg_data.accounts.records import actor_of, user_by_email

    with Session(engine) as session:
        user = user_by_email(session, email)
        return None if user is None or user.disabled_at is not None else actor_of(user)


def cmd_report(args: argparse.Namespace) -> int:
    from ctg_data.queries.funding import convention_by_code
    from ctg_data.reports.meeting_report import build_report, report_xlsx

    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        print("Le fichier à écrire doit finir par .pdf ou .xlsx.", file=sys.stderr)
        return 2
    engine = db.get_engine()
    convention = convention_by_code(engine, args.convention)
    if convention is None:
        print(f"Convention inconnue : « {args.convention} ».", file=sys.stderr)
        return 2
    actor = _actor(engine, args.as_email)
    if actor is None:
        print(f"Aucun compte actif pour l'adresse « {args.as_email} ».", file=sys.stderr)
        return 2
    try:
        data = build_report(engine, actor, convention["id"], args.meeting)
        if out.suffix.lower() == ".xlsx":
            content = report_xlsx(data)
        else:
            from ctg_data.reports.meeting_pdf import report_pdf

            content = report_pdf(data)
    except (PermissionDenied, SettingError) as error:
        print(str(error), file=sys.stderr)
        return 1
    out.write_bytes(content)
    print(f"Rapport écrit : {out} ({data.title}).")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="rapport imprimable d'une réunion (PDF) ou ses tableaux (.xlsx)")
    report.add_argument("out", help="fichier à écrire : .pdf (rapport) ou .xlsx (ses tableaux)")
    report.add_argument("--convention", required=True, help="code de la convention")
    report.add_argument(
        "--meeting", type=int, default=None, help="numéro de la réunion (par défaut : les chiffres du jour)"
    )
    report.add_argument(
        "--as", dest="as_email", default=None, help="adresse d'un compte : le rapport tel que ce compte peut le lire"
    )
    report.set_defaults(func=cmd_report)
