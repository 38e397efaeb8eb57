"""French on every screen and every refusal said: run by AppTest on a private copy of the demo
database. A value the form cannot keep (a progress of 150 %, "33,7" in a whole-number field)
reaches the service and comes back as its French refusal, nothing written; every choice box
says in French what to choose; dates are typed day first; the Journal and Contrôles pages
name tables and changes as a person would, without JSON."""

import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.reports.integrity import table_counts
from ctg_data.services import actions as action_service

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor(email="admin@test", role=Role.ADMIN)


def run_page(name: str, actor: Actor = ADMIN, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    at.session_state["ctg_actor"] = actor
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.main.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "").replace("**", "")


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return table_counts(session)


def action(engine, code: str) -> m.Action:
    with Session(engine) as session:
        return session.exec(select(m.Action).where(m.Action.code == code)).one()


# --- Refusals said, not swallowed by the widget ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("150", "Avancement : valeur 150 hors bornes : entre 0 et 100"),
        ("-5", "Avancement : valeur -5 hors bornes : entre 0 et 100"),
        ("33,7", "Avancement : "),  # refused, not silently cut to 33
        ("33.7", "Avancement : "),
    ],
)
def test_a_progress_the_field_cannot_keep_is_refused_in_french_next_to_the_form(demo_engine, typed, said):
    before, stored = counts(demo_engine), action(demo_engine, "PE-1.2")
    at = run_page("saisie_action", action="PE-1.2")
    field = next(t for t in at.main.text_input if t.label.startswith("Avancement"))
    field.input(typed)
    at = click(at, "Enregistrer le suivi")
    [error] = [plain(e.value) for e in at.main.error]
    assert "Rien n'a été enregistré" in error and said in error
    assert counts(demo_engine) == before
    assert action(demo_engine, "PE-1.2").progress == stored.progress
    assert next(t for t in at.main.text_input if t.label.startswith("Avancement")).value == typed  # kept


def test_a_whole_progress_is_saved_from_the_text_field(demo_engine):
    at = run_page("saisie_action", action="PE-1.2")
    next(t for t in at.main.text_input if t.label.startswith("Avancement")).input("35")
    at = click(at, "Enregistrer le suivi")
    assert not at.main.error
    assert action(demo_engine, "PE-1.2").progress == 35


def test_no_page_of_the_forms_clamps_a_number_silently():
    """A number_input with bounds or whole steps rounds or clamps what is typed, with at most an
    English tooltip: the forms use text fields the validation layer reads and refuses aloud."""
    offenders = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for call in re.findall(r"number_input\((.*?)\)\n", path.read_text(encoding="utf-8"), flags=re.S):
            if re.search(r"\b(min_value|max_value|step)\s*=", call):
                offenders.append(path.name)
    assert offenders == []


def test_a_partner_account_without_organisation_is_refused_without_command_line_wording(demo_engine):
    at = run_page("comptes")
    at.text_input(key="comptes_create_email").input("partenaire.sans.orga@ville.fr")
    at.selectbox(key="comptes_create_role").select("partenaire")
    at.button(key="FormSubmitter:comptes_create-Créer le compte").click().run()
    assert not at.exception
    [error] = [plain(e.value) for e in at.main.error]
    assert "organisation" in error and "--" not in error and "CODE" not in error


# --- French on every screen --------------------------------------------------------------------

PAGES = [
    ("saisie_action", {"action": "PE-1.2"}),
    ("saisie_activite", {"equipement": "alsh-lorda"}),
    ("saisie_financement", {"annee": "2025"}),
    ("saisie_mesure", {}),
    ("saisie_groupee", {}),
    ("comptes", {}),
    ("historique", {"objet": "action", "id": "PE-1.2"}),
    ("coordination", {}),
    ("leviers", {}),
    ("bonus_territoire", {}),
    ("import_export", {}),
    ("journal", {}),
    ("controles", {}),
]
ENGLISH = re.compile(r"\b(choose|select|option|options|no results|page not found)\b", re.I)


@pytest.mark.parametrize(("name", "query"), PAGES, ids=[name for name, _ in PAGES])
def test_every_choice_box_says_in_french_what_to_choose_and_dates_read_day_first(demo_engine, name, query):
    at = run_page(name, **query)
    boxes = [*at.main.selectbox, *at.main.multiselect]
    unnamed = [b.label for b in boxes if not b.proto.placeholder.strip() or ENGLISH.search(b.proto.placeholder)]
    assert unnamed == [], f"{name}: choice boxes without a French placeholder"
    assert [d.label for d in at.main.date_input if d.proto.format != "DD/MM/YYYY"] == []


def _journal(engine) -> AppTest:
    at = run_page("journal")
    next(t for t in at.main.toggle if t.label.startswith("Toutes les modifications")).set_value(True).run()
    assert not at.exception, at.exception
    return at


def test_the_journal_names_the_record_and_says_each_change_in_french(demo_engine):
    stored = action(demo_engine, "PE-1.2")
    form = action_service.action_for_edit(demo_engine, stored.id)
    action_service.update_followup(
        demo_engine,
        ADMIN,
        action_id=stored.id,
        expected_version=form["version"],
        opened=form,
        status="en_pause",
        progress=form["progress"],
    )
    table = _journal(demo_engine).main.dataframe[0].value
    assert list(table.columns) == ["Date", "Par", "Opération", "Élément", "Modifications", "Motif"]
    row = table.iloc[0]  # newest first
    assert row["Élément"] == "Action PE-1.2"
    assert "Statut : En cours → En pause" in row["Modifications"]
    cells = [str(value) for value in table.to_numpy().ravel()]
    assert not [cell for cell in cells if cell.lstrip().startswith(("{", "["))]  # no JSON
    table_names = {"actions", "action_notes", "users", "convention_members", "measurements", "funding_lines"}
    assert not table_names & set(cells)


def test_an_account_change_in_the_journal_is_said_in_french(demo_engine):
    from ctg_data import accounts

    accounts.create_user(demo_engine, actor=ADMIN, email="nouveau@ville.fr", role="lecteur")
    accounts.set_role(demo_engine, actor=ADMIN, email="nouveau@ville.fr", role="conseiller")
    table = _journal(demo_engine).main.dataframe[0].value
    changed = table[table["Opération"] == "Rôle changé"].iloc[0]
    assert changed["Élément"] == "Compte nouveau@ville.fr"
    assert "Rôle : Lecteur → Conseiller CAF" in changed["Modifications"] or "Rôle : " in changed["Modifications"]
    with Session(demo_engine) as session:  # the audit keeps its JSON; the page reads it as sentences
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.operation == "compte:rôle")).one()
    assert json.loads(event.after)["role"] == "conseiller"


def test_the_checks_page_names_tables_in_french(demo_engine):
    at = click(run_page("controles"), "Lancer les contrôles")  # the checks run on demand
    tables = next(d.value for d in at.main.dataframe if "Lignes" in d.value.columns)
    names = list(tables.iloc[:, 0])
    assert "Actions" in names and "Comptes" in names
    assert not [name for name in names if "_" in name or name.islower()]


def test_a_referential_change_reads_as_a_sentence_too():
    from ctg_data.queries.history import describe_changes, element_label

    before, after = {"code": "caf65", "name": "CAF 65"}, {"code": "caf65", "name": "CAF des Hautes-Pyrénées"}
    assert element_label("organisations", after) == "Organisation caf65"
    assert describe_changes("organisations", before, after) == ["Nom : CAF 65 → CAF des Hautes-Pyrénées"]


def test_a_sign_in_event_reads_in_words_in_the_journal_not_as_json(engine):
    from sqlmodel import Session

    from ctg_data.accounts import events
    from ctg_data.accounts.journal import sign_in_events

    with Session(engine) as session:
        events.record(session, "connexion", "x@test", client="10.0.0.1", méthode="mot de passe")
        session.commit()
    after = sign_in_events(engine)["after"].iloc[0]
    assert after == "poste 10.0.0.1 Méthode : mot de passe"
