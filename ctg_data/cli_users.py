"""`ctg user …`: accounts from the command line (registered by ctg_data.cli).

The command line acts as an administrator (whoever runs it controls the database): it is how
the first administrator of a database without the demo is created. A generated temporary
password is printed once and must be changed at the first sign-in.
"""

import argparse
import sys
from collections.abc import Callable

from ctg_data import db
from ctg_data.actors import COMMAND_LINE, ROLE_LABELS, Role

ROLES = [role.value for role in Role]
MISSING_ORGANISATION = "Un compte partenaire doit être rattaché à une organisation (--organisation CODE)."


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _run(action: Callable[[], int | None]) -> int:
    from ctg_data.accounts import AccountError
    from ctg_data.permissions import PermissionDenied

    try:
        return action() or 0
    except (AccountError, PermissionDenied) as error:
        return _fail(str(error))


def _print_password(email: str, password: str) -> None:
    print(
        f"Mot de passe provisoire de {email} (affiché une seule fois, à changer à la première "
        f"connexion) :\n\n    {password}\n"
    )


def cmd_add(args: argparse.Namespace) -> int:
    from ctg_data.accounts import create_user

    def action() -> None:
        issued = create_user(
            db.get_engine(),
            actor=COMMAND_LINE,
            email=args.email,
            role=args.role,
            organisation_code=args.organisation,
            display_name=args.name,
            sso_only=args.sso_only,
            missing_organisation=MISSING_ORGANISATION,
        )
        print(f"Compte créé : {issued.email} ({ROLE_LABELS[Role(args.role)]}).")
        if issued.temporary_password:
            _print_password(issued.email, issued.temporary_password)
        else:
            print("Connexion par l'annuaire seulement (aucun mot de passe).")

    return _run(action)


def cmd_disable(args: argparse.Namespace) -> int:
    from ctg_data.accounts import disable_user

    def action() -> None:
        disable_user(db.get_engine(), actor=COMMAND_LINE, email=args.email)
        print(f"Compte désactivé : {args.email}. Ses sessions ouvertes se ferment au prochain clic.")

    return _run(action)


def cmd_enable(args: argparse.Namespace) -> int:
    from ctg_data.accounts import enable_user

    def action() -> None:
        enable_user(db.get_engine(), actor=COMMAND_LINE, email=args.email)
        print(f"Compte réactivé : {args.email}.")

    return _run(action)


def cmd_reset_password(args: argparse.Namespace) -> int:
    from ctg_data.accounts import reset_password

    def action() -> None:
        password = reset_password(db.get_engine(), actor=COMMAND_LINE, email=args.email)
        print(f"Mot de passe réinitialisé et compte déverrouillé : {args.email}.")
        _print_password(args.email, password)

    return _run(action)


def cmd_unlock(args: argparse.Namespace) -> int:
    from ctg_data.accounts import unlock_user

    def action() -> None:
        unlock_user(db.get_engine(), actor=COMMAND_LINE, email=args.email)
        print(f"Compte déverrouillé : {args.email}.")

    return _run(action)


def cmd_set_role(args: argparse.Namespace) -> int:
    from ctg_data.accounts import set_role

    def action() -> None:
        set_role(
            db.get_engine(),
            actor=COMMAND_LINE,
            email=args.email,
            role=args.role,
            organisation_code=args.organisation,
            missing_organisation=MISSING_ORGANISATION,
        )
        print(f"Rôle de {args.email} : {ROLE_LABELS[Role(args.role)]}.")

    return _run(action)


def cmd_directory(args: argparse.Namespace) -> int:
    from ctg_data.accounts import set_directory_sign_in

    def action() -> None:
        set_directory_sign_in(db.get_engine(), actor=COMMAND_LINE, email=args.email, allowed=not args.off)
        state = "n'est plus ouvert" if args.off else "est ouvert"
        print(f"Le compte {args.email} {state} à la connexion par l'annuaire.")

    return _run(action)


def cmd_sign_out(args: argparse.Namespace) -> int:
    from ctg_data.accounts import end_sessions

    def action() -> None:
        end_sessions(db.get_engine(), actor=COMMAND_LINE, email=args.email)
        print(f"Sessions ouvertes de {args.email} fermées (au prochain clic de chacune).")

    return _run(action)


def cmd_list(_args: argparse.Namespace) -> int:
    from ctg_data.accounts import list_users

    users = list_users(db.get_engine())
    if users.empty:
        print("Aucun compte. Créez le premier administrateur : ctg user add ADRESSE --role admin")
        return 0
    for user in users.itertuples(index=False):
        extra = " · annuaire seulement" if user.sso_only else (" · annuaire ouvert" if user.directory else "")
        extra += " · mot de passe à changer" if user.must_change_password else ""
        organisation = f" ({user.organisation})" if user.organisation else ""
        print(f"{user.email:40} {user.role:11}{organisation} · {user.state}{extra}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    from ctg_data.accounts import set_member

    def action() -> None:
        set_member(
            db.get_engine(),
            actor=COMMAND_LINE,
            convention_code=args.convention,
            email=args.email,
            member=not args.revoke,
        )
        verb = "retiré à" if args.revoke else "donné à"
        print(f"Accès à la convention {args.convention} {verb} {args.email}.")

    return _run(action)


def cmd_restrict(args: argparse.Namespace) -> int:
    from ctg_data.accounts import set_restricted

    def action() -> None:
        set_restricted(db.get_engine(), actor=COMMAND_LINE, convention_code=args.convention, restricted=not args.off)
        state = (
            "ouverte à tous les comptes" if args.off else "réservée aux administrateurs et aux comptes qui y ont accès"
        )
        print(f"Convention {args.convention} : {state}.")

    return _run(action)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this group's subcommands to the `ctg` parser."""
    user = commands.add_parser("user", help="comptes et accès")
    sub = user.add_subparsers(dest="user_command", required=True)

    add = sub.add_parser("add", help="créer un compte (mot de passe provisoire affiché une fois)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--organisation", help="code de l'organisation (obligatoire pour un partenaire)")
    add.add_argument("--name", help="nom affiché")
    add.add_argument("--sso-only", action="store_true", help="connexion par l'annuaire seulement : aucun mot de passe")
    add.set_defaults(func=cmd_add)

    for name, func, text in (
        ("disable", cmd_disable, "désactiver un compte"),
        ("enable", cmd_enable, "réactiver un compte"),
        ("reset-password", cmd_reset_password, "nouveau mot de passe provisoire (affiché une fois) et déverrouillage"),
        ("unlock", cmd_unlock, "déverrouiller un compte après trop d'échecs"),
        ("sign-out", cmd_sign_out, "fermer toutes les sessions ouvertes d'un compte"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("email")
        command.set_defaults(func=func)

    role = sub.add_parser("set-role", help="changer le rôle d'un compte")
    role.add_argument("email")
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--organisation", help="code de l'organisation (obligatoire pour un partenaire)")
    role.set_defaults(func=cmd_set_role)

    directory = sub.add_parser("directory", help="ouvrir un compte à mot de passe à la connexion par l'annuaire")
    directory.add_argument("email")
    directory.add_argument("--off", action="store_true", help="retirer la connexion par l'annuaire")
    directory.set_defaults(func=cmd_directory)

    sub.add_parser("list", help="lister les comptes").set_defaults(func=cmd_list)

    grant = sub.add_parser("grant", help="donner à un compte l'accès à une convention")
    grant.add_argument("email")
    grant.add_argument("convention", help="code de la convention")
    grant.add_argument("--revoke", action="store_true", help="retirer l'accès au lieu de le donner")
    grant.set_defaults(func=cmd_grant)

    restrict = sub.add_parser("restrict", help="réserver une convention à ses membres (et aux administrateurs)")
    restrict.add_argument("convention", help="code de la convention")
    restrict.add_argument("--off", action="store_true", help="rouvrir la convention à tous les comptes")
    restrict.set_defaults(func=cmd_restrict)
