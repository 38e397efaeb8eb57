"""`ctg remind`: each active partner account receives its organisation's « À saisir » list by
e-mail; `--dry-run` prints it; a real send goes to an SMTP server started by the test (aiosmtpd)."""

import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.cli_remind import digest
from ctg_data.interchange import load_folder
from ctg_data.queries.due import DueItem, DueKind, OrganisationDue, Recipient
from tests.csv_folder import write_folder
from tests.helpers.cli import in_process
from tests.test_due import plan

APP = "https://ctg.example.fr/tableau"
LOURDES_LINKS = [
    f"{APP}/saisie_mesure?convention=ctg-due&indicateur=COMMUNE",
    f"{APP}/saisie_mesure?convention=ctg-due&indicateur=ESTIMATE",
    f"{APP}/saisie_mesure?convention=ctg-due&indicateur=NONE",
    f"{APP}/saisie_mesure?convention=ctg-due&indicateur=STALE",
    f"{APP}/saisie_activite?convention=ctg-due&equipement=MISSING",
]


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setenv("CTG_TODAY", "2026-06-15")  # 2025's activity was due on 31 March 2026
    monkeypatch.setenv("CTG_APP_URL", APP + "/")
    return in_process(monkeypatch, capsys)


@pytest.fixture
def accounts(database_url, tmp_path):
    """The plan of tests/test_due.py and its accounts: two active partners of Lourdes (one named
    with characters HTML must escape), a disabled one, one of SIMAJE, one of the association
    (nothing due), none of the CIAS, and an advisor (never a recipient)."""
    from ctg_data.db import make_engine

    engine = make_engine(database_url)
    try:
        report = load_folder(write_folder(tmp_path / "plan", plan()), actor="test", engine=engine)
        assert report.ok, [str(e) for e in report.errors]
        with Session(engine) as session:
            ids = {o.code: o.id for o in session.exec(select(m.Organisation))}
            for email, organisation, name, disabled in (
                ("agent@lourdes.fr", "lourdes", "Agent <Lourdes> & co", False),
                ("elu@lourdes.fr", "lourdes", None, False),
                ("ancien@lourdes.fr", "lourdes", None, True),
                ("sim@simaje.fr", "simaje", "Sim", False),
                ("a@asso.fr", "asso", None, False),
            ):
                session.add(
                    m.User(
                        email=email,
                        role="partenaire",
                        organisation_id=ids[organisation],
                        display_name=name,
                        disabled_at=m.utcnow() if disabled else None,
                    )
                )
            session.add(m.User(email="conseil@caf.fr", role="conseiller"))
            session.commit()
    finally:
        engine.dispose()
    return database_url


def test_dry_run_prints_each_message_and_sends_nothing(run, accounts):
    ran = run(accounts, "remind", "--dry-run")
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout
    recipients = [line.removeprefix("À : ") for line in out.splitlines() if line.startswith("À : ")]
    assert recipients == ["sim@simaje.fr", "agent@lourdes.fr", "elu@lourdes.fr"]  # organisations by name
    assert "Objet : CTG : 5 saisies attendues pour Ville de Lourdes" in out
    assert "Objet : CTG : 5 saisies attendues pour SIMAJE" in out  # 4 indicators, 1 facility elsewhere
    for link in LOURDES_LINKS:
        assert f"  {link}\n" in out
    assert "- Équipement MISSING « Équipement MISSING » : activité 2025 à déclarer, attendue le 31/03/2026" in out
    assert "Rien n'est envoyé pour CIAS du Pays de Lourdes : aucun compte partenaire actif" in out
    assert "Simulation : 3 courriel(s) seraient envoyés ; rien n'a été envoyé." in out


def test_one_convention_only(run, accounts):
    ran = run(accounts, "remind", "--dry-run", "--convention", "ctg-finie")
    assert ran.returncode == 0, ran.stderr
    assert [line for line in ran.stdout.splitlines() if line.startswith(("À : ", "Objet : "))] == [
        "À : sim@simaje.fr",
        "Objet : CTG : 1 saisie attendue pour SIMAJE",
    ]
    assert f"{APP}/saisie_activite?convention=ctg-finie&equipement=OLDCONV" in ran.stdout


def test_wrong_usage_exits_2(run, accounts, monkeypatch):
    unknown = run(accounts, "remind", "--dry-run", "--convention", "nulle-part")
    assert unknown.returncode == 2
    assert "Convention inconnue : « nulle-part »" in unknown.stderr
    monkeypatch.delenv("CTG_SMTP_HOST", raising=False)
    unset = run(accounts, "remind")
    assert unset.returncode == 2
    assert "réglez CTG_SMTP_HOST et CTG_SMTP_FROM" in unset.stderr
    monkeypatch.setenv("CTG_APP_URL", "ctg.example.fr")
    bad = run(accounts, "remind", "--dry-run")
    assert bad.returncode == 2
    assert "CTG_APP_URL" in bad.stderr


# ------------------------------------------------------------------ a real send


class Inbox:
    """An aiosmtpd handler keeping what it receives; it refuses the addresses in `refused`."""

    def __init__(self, refused: frozenset[str] = frozenset()):
        self.refused = refused
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 Boîte inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    def start(inbox: Inbox) -> None:
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        monkeypatch.setenv("CTG_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CTG_SMTP_PORT", str(port))
        monkeypatch.setenv("CTG_SMTP_FROM", "ctg@caf65.fr")

    servers: list[Controller] = []
    yield start
    for controller in servers:
        controller.stop()


def parts(raw: bytes) -> tuple[dict[str, str], str, str]:
    mail = message_from_bytes(raw, policy=policy.default)
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    return {key: str(mail[key]) for key in ("From", "To", "Subject")}, text.get_content(), html.get_content()


def test_each_partner_receives_its_digest_from_the_smtp_server(run, accounts, smtp_server):
    inbox = Inbox()
    smtp_server(inbox)
    ran = run(accounts, "remind")
    assert ran.returncode == 0, ran.stderr
    assert "3 courriel(s) envoyé(s), 0 échec(s)." in ran.stdout
    assert sorted(to for to, _ in inbox.received) == [["agent@lourdes.fr"], ["elu@lourdes.fr"], ["sim@simaje.fr"]]
    (raw,) = [content for to, content in inbox.received if to == ["agent@lourdes.fr"]]
    headers, text, html = parts(raw)
    assert headers == {
        "From": "ctg@caf65.fr",
        "To": "agent@lourdes.fr",
        "Subject": "CTG : 5 saisies attendues pour Ville de Lourdes",
    }
    assert text.startswith("Bonjour Agent <Lourdes> & co,")
    assert "Voici ce que Ville de Lourdes a à saisir dans le tableau de bord CTG au 15/06/2026 (5 éléments)" in text
    assert "- Indicateur STALE « Indicateur STALE » : dernière valeur du 01/12/2025" in text
    for link in LOURDES_LINKS:
        assert link in text
        assert f'href="{link.replace("&", "&amp;")}"' in html
    assert "Bonjour Agent &lt;Lourdes&gt; &amp; co," in html  # user text escaped in HTML
    assert "<Lourdes>" not in html


def test_one_refusal_does_not_stop_the_others(run, accounts, smtp_server):
    inbox = Inbox(refused=frozenset({"elu@lourdes.fr"}))
    smtp_server(inbox)
    ran = run(accounts, "remind")
    assert ran.returncode == 1
    assert "Échec de l'envoi à elu@lourdes.fr" in ran.stderr
    assert sorted(to for to, _ in inbox.received) == [["agent@lourdes.fr"], ["sim@simaje.fr"]]
    assert "2 courriel(s) envoyé(s), 1 échec(s)." in ran.stdout


def test_no_server_listening_is_reported_for_each_message(run, accounts, monkeypatch):
    monkeypatch.setenv("CTG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CTG_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("CTG_SMTP_FROM", "ctg@caf65.fr")
    ran = run(accounts, "remind")
    assert ran.returncode == 1
    assert ran.stderr.count("Échec de l'envoi à ") == 3


# ------------------------------------------------------------------ restricted conventions


def test_a_restricted_convention_is_listed_only_to_its_members():
    def item(convention_id: int, restricted: bool) -> DueItem:
        return DueItem(
            DueKind.MESURE, 1, convention_id, f"c{convention_id}", restricted, "X", "X", date(2026, 1, 1), "d"
        )

    due = OrganisationDue(1, "org", "Org", (item(1, False), item(2, True)))
    member = Recipient("m@x.fr", "M", frozenset({2}))
    outsider = Recipient("o@x.fr", "O", frozenset())
    member_digest = digest(due, member, APP, date(2026, 6, 1))
    assert member_digest is not None and "c2" in member_digest.text
    outsider_digest = digest(due, outsider, APP, date(2026, 6, 1))
    assert outsider_digest is not None
    assert "c1" in outsider_digest.text and "c2" not in outsider_digest.text
    assert digest(OrganisationDue(1, "org", "Org", (item(2, True),)), outsider, APP, date(2026, 6, 1)) is None


def test_smtp_settings_are_read_and_refused_in_french(monkeypatch):
    from ctg_data import settings
    from ctg_data.errors import SettingError

    monkeypatch.setenv("CTG_SMTP_HOST", "smtp.caf.fr")
    monkeypatch.setenv("CTG_SMTP_PORT", "587")
    monkeypatch.setenv("CTG_SMTP_STARTTLS", "oui")
    monkeypatch.delenv("CTG_SMTP_USER", raising=False)
    read = settings.smtp()
    assert (read.host, read.port, read.starttls, read.user) == ("smtp.caf.fr", 587, True, "")
    monkeypatch.setenv("CTG_SMTP_STARTTLS", "peut-être")
    with pytest.raises(SettingError, match="CTG_SMTP_STARTTLS vaut « peut-être » : oui ou non est attendu"):
        settings.smtp()
