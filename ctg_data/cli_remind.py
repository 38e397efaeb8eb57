"""`ctg remind`: each partner account receives by e-mail what its organisation has to enter
(« À saisir », ctg_data.queries.due), with a link to each form.

One message per active partner account with an address, listing only the conventions that
account sees; nothing to an organisation with nothing due. Each message is sent on its own
connection: one refusal does not stop the others, and every failure is reported (exit code 1).
`--dry-run` prints what would be sent and connects to nothing.
"""

import argparse
import html
import smtplib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from itertools import groupby

from sqlalchemy import Engine

from ctg_data import db, settings
from ctg_data import formats as fmt
from ctg_data.errors import SettingError
from ctg_data.queries.due import DueItem, OrganisationDue, Recipient, due_items, recipients
from ctg_data.queries.filters import today as reference_today
from ctg_data.queries.funding import all_conventions, convention_by_code
from ctg_data.reports.funding import year_clock

SIGNATURE = (
    "Ce message est envoyé automatiquement par le tableau de bord de la convention territoriale "
    "globale (CTG). Vous le recevez parce que votre compte partenaire est rattaché à cette organisation."
)


@dataclass(frozen=True)
class Digest:
    to: str
    subject: str
    text: str
    html: str


def digest(due: OrganisationDue, recipient: Recipient, app_url: str, today: date) -> Digest | None:
    """The message for one account: the items of the conventions it sees; None when none is left."""
    items = [item for item in due.items if recipient.sees(item)]
    if not items:
        return None
    count = len(items)
    subject = f"CTG : {count} saisie{'s' if count > 1 else ''} attendue{'s' if count > 1 else ''} pour {due.name}"
    intro = (
        f"Voici ce que {due.name} a à saisir dans le tableau de bord CTG au {fmt.short_date(today)} "
        f"({count} élément{'s' if count > 1 else ''}) :"
    )
    text_lines, html_parts = (
        [f"Bonjour {recipient.name},", "", intro],
        [
            f"<p>Bonjour {html.escape(recipient.name)},</p>",
            f"<p>{html.escape(intro)}</p>",
        ],
    )
    for convention, group in groupby(items, key=lambda item: item.convention_code):
        entries = list(group)
        text_lines += ["", f"Convention {convention}"]
        html_parts.append(f"<h3>Convention {html.escape(convention)}</h3><ul>")
        for item in entries:
            link = _link(app_url, item)
            text_lines += [f"- {item.description}", f"  {link}"]
            html_parts.append(f'<li>{html.escape(item.description)}<br><a href="{html.escape(link)}">Saisir</a></li>')
        html_parts.append("</ul>")
    text_lines += ["", SIGNATURE, ""]
    html_parts.append(f"<p><small>{html.escape(SIGNATURE)}</small></p>")
    return Digest(recipient.email, subject, "\n".join(text_lines), "\n".join(html_parts))


def _link(app_url: str, item: DueItem) -> str:
    return f"{app_url}/{item.path}"


def digests(engine: Engine, convention_id: int | None, today: date, app_url: str) -> tuple[list[Digest], list[str]]:
    """The messages to send, and the organisations with something due but nobody to tell."""
    dues = due_items(engine, year_clock(today), convention_id=convention_id)
    people = recipients(engine)
    messages, unreached = [], []
    for due in dues:
        found = [d for r in people.get(due.organisation_id, []) if (d := digest(due, r, app_url, today))]
        messages += found
        if not found:
            unreached.append(due.name)
    return messages, unreached


def email(message: Digest, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = message.to
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(message.text)
    mail.add_alternative(f"<html><body>{message.html}</body></html>", subtype="html")
    return mail


def send(message: Digest, smtp: settings.Smtp) -> None:
    """One message on its own connection (raises OSError or smtplib.SMTPException)."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=60) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.user:
            server.login(smtp.user, smtp.password)
        server.send_message(email(message, smtp.sender))


def cmd_remind(args: argparse.Namespace) -> int:
    engine = db.get_engine()
    convention_id = None
    if args.convention:
        convention = convention_by_code(engine, args.convention)
        if convention is None:
            known = ", ".join(c["code"] for c in all_conventions(engine)) or "aucune"
            print(f"Convention inconnue : « {args.convention} » (conventions enregistrées : {known}).", file=sys.stderr)
            return 2
        convention_id = convention["id"]
    try:
        app_url = settings.app_url()
        smtp = None if args.dry_run else settings.smtp()
    except SettingError as error:
        print(error, file=sys.stderr)
        return 2
    if smtp is not None and not (smtp.host and smtp.sender):
        print(
            "Aucun serveur d'envoi : réglez CTG_SMTP_HOST et CTG_SMTP_FROM (voir le README), "
            "ou simulez avec --dry-run.",
            file=sys.stderr,
        )
        return 2
    today = reference_today()
    messages, unreached = digests(engine, convention_id, today, app_url)
    for name in unreached:
        print(f"Rien n'est envoyé pour {name} : aucun compte partenaire actif rattaché à cette organisation.")
    if smtp is None:
        return _dry_run(messages)
    return _send_all(messages, smtp)


def _dry_run(messages: Sequence[Digest]) -> int:
    for message in messages:
        print(f"À : {message.to}\nObjet : {message.subject}\n\n{message.text}\n{'-' * 72}")
    print(f"Simulation : {len(messages)} courriel(s) seraient envoyés ; rien n'a été envoyé.")
    return 0


def _send_all(messages: Sequence[Digest], smtp: settings.Smtp) -> int:
    failures = 0
    for message in messages:
        try:
            send(message, smtp)
        except (OSError, smtplib.SMTPException) as error:
            failures += 1
            print(f"Échec de l'envoi à {message.to} : {error}", file=sys.stderr)
            continue
        print(f"Envoyé à {message.to} : {message.subject}")
    print(f"{len(messages) - failures} courriel(s) envoyé(s), {failures} échec(s).")
    return 1 if failures else 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    remind = commands.add_parser("remind", help="envoyer à chaque partenaire ce qu'il a à saisir (courriel)")
    remind.add_argument("--convention", help="code de la convention (par défaut : toutes)")
    remind.add_argument("--dry-run", action="store_true", help="afficher les courriels sans rien envoyer")
    remind.set_defaults(func=cmd_remind)
