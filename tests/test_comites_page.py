"""The Comités page on a private copy of the demo database, run by AppTest: an advisor creates a
meeting and adds a decision (rows read back from the database), the minutes are shown as the
plain text typed, a lecteur reads without any form, and the late decisions block of the overview
lists a decision past due."""

from datetime import date
from pathlib import Path

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.services import meetings as svc

ROOT = Path(__file__).resolve().parent.parent
ADVISOR = Actor(email="conseillere@caf.test", role=Role.CONSEILLER)
READER = Actor(email="elu@test", role=Role.LECTEUR)


def run_page(actor: Actor, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "comites.py"), default_timeout=60)
    at.session_state["ctg_actor"] = actor
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def widget(elements, label: str, index: int = 0):
    return [e for e in elements if e.label.startswith(label)][index]


def meetings(engine) -> list[m.Meeting]:
    with Session(engine) as session:
        return list(session.exec(select(m.Meeting).order_by(m.Meeting.id)).all())


def test_an_advisor_creates_a_meeting_then_a_decision(demo_app, demo_engine):
    before = {stored.id for stored in meetings(demo_engine)}  # the demo's own meetings
    at = run_page(ADVISOR)
    widget(at.date_input, "Date de la réunion").set_value(date(2026, 11, 20))
    widget(at.text_input, "Lieu").set_value("Mairie de Lourdes")
    widget(at.text_area, "Ordre du jour").set_value("1. Bilan\n2. Budget")
    widget(at.text_area, "Compte rendu").set_value("<b>Adopté</b> à l'unanimité")
    click(at, "Créer la réunion")
    [meeting] = [stored for stored in meetings(demo_engine) if stored.id not in before]
    assert (meeting.kind, meeting.held_on, meeting.place, meeting.status) == (
        "copil",
        date(2026, 11, 20),
        "Mairie de Lourdes",
        "prevue",
    )
    assert any("Réunion enregistrée" in s.value for s in at.success)
    # The new meeting is opened; its minutes are plain text, exactly as typed.
    assert "COPIL du 20/11/2026" in [s.value for s in at.subheader]
    assert "<b>Adopté</b> à l'unanimité" in [t.value for t in at.text]
    assert not any("<b>" in md.value and "\\<" not in md.value for md in at.markdown)

    widget(at.text_area, "Décision").set_value("Ouvrir 10 places de plus en 2027")
    with Session(demo_engine) as session:
        caf = session.exec(select(m.Organisation.id).where(m.Organisation.type == "caf")).first()
    widget(at.selectbox, "Responsable").set_value(caf)
    widget(at.date_input, "Échéance").set_value(date(2027, 1, 31))
    click(at, "Ajouter la décision")
    with Session(demo_engine) as session:
        [decision] = session.exec(select(m.Decision).where(m.Decision.meeting_id == meeting.id)).all()
    assert (decision.meeting_id, decision.text, decision.owner_id, decision.due_on, decision.status) == (
        meeting.id,
        "Ouvrir 10 places de plus en 2027",
        caf,
        date(2027, 1, 31),
        "a_faire",
    )
    assert any("Décision enregistrée" in s.value for s in at.success)


def test_a_lecteur_reads_meetings_without_forms(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention_id = session.exec(select(m.Convention.id)).first()
    admin = Actor(email="admin@test", role=Role.ADMIN)
    saved = svc.create_meeting(
        demo_engine,
        admin,
        convention_id=convention_id,
        kind="cotech",
        held_on=date(2026, 10, 1),
        minutes="**pas du gras**",
    )
    svc.add_decision(
        demo_engine, admin, meeting_id=saved.id, text="Relancer les partenaires", due_on=date(2026, 10, 31)
    )
    at = run_page(READER)
    assert [s.value for s in at.subheader] == ["COTECH du 01/10/2026"]
    assert "**pas du gras**" in [t.value for t in at.text]
    assert not [b for b in at.button if b.label in {"Créer la réunion", "Ajouter la décision"}]
    [table] = [d for d in at.dataframe if "Décision" in d.value.columns]
    assert table.value["Décision"].tolist() == ["Relancer les partenaires"]


LATE_SCRIPT = """
from datetime import date

import streamlit as st

from ctg_data.actors import Actor, Role
from ctg_data.queries.filters import Filters
from ctg_data.ui.decisions import late_decisions
from ctg_data.ui.page import ConventionContext

context = ConventionContext(
    actor=Actor(email="elu@test", role=Role.LECTEUR),
    today=date(2026, 11, 26),
    filters=Filters(convention_id=st.session_state["convention_id"]),
    card={},
)
late_decisions(context)
"""


def test_the_overview_block_lists_the_open_decisions_past_due(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention_id = session.exec(select(m.Convention.id)).first()
    admin = Actor(email="admin@test", role=Role.ADMIN)
    meeting = svc.create_meeting(
        demo_engine, admin, convention_id=convention_id, kind="copil", held_on=date(2026, 6, 1)
    )
    for text, due, status in [
        ("En retard", date(2026, 11, 1), "a_faire"),  # 25 days before 26/11/2026
        ("Faite", date(2026, 7, 1), "fait"),
        ("Pas encore due", date(2026, 12, 15), "a_faire"),
    ]:
        svc.add_decision(demo_engine, admin, meeting_id=meeting.id, text=text, due_on=due, status=status)
    at = AppTest.from_string(LATE_SCRIPT, default_timeout=60)
    at.session_state["convention_id"] = convention_id
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["Décisions en retard"]
    [table] = at.dataframe
    # The demo's own late decision (seeds/lourdes-2023/decisions.csv) is listed too: only this
    # test's meeting is looked at here.
    mine = table.value[table.value["Réunion"] == "COPIL du 01/06/2026"]
    assert mine["Décision"].tolist() == ["En retard"]
    assert mine["Jours de retard"].tolist() == [25]


def test_an_advisor_marks_a_decision_done_from_the_page(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention_id = session.exec(select(m.Convention.id)).first()
    meeting = svc.create_meeting(
        demo_engine, ADVISOR, convention_id=convention_id, kind="copil", held_on=date(2026, 6, 1)
    )
    decision = svc.add_decision(demo_engine, ADVISOR, meeting_id=meeting.id, text="Relancer les partenaires")
    at = run_page(ADVISOR, reunion=str(meeting.id))
    widget(at.selectbox, "Statut", index=-1).set_value("fait")  # the decision edited, below the new one
    click(at, "Enregistrer la décision")
    with Session(demo_engine) as session:
        stored = session.get_one(m.Decision, decision.id)
    assert (stored.status, stored.version) == ("fait", 2)
    assert any("Décision enregistrée" in s.value for s in at.success)


def test_a_partner_reads_only_the_decisions_concerning_it_and_no_minutes(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention_id = session.exec(select(m.Convention.id)).first()
        pilot, action = session.exec(select(m.Action.pilot_id, m.Action.id).order_by(m.Action.id)).first()
    admin = Actor(email="admin@test", role=Role.ADMIN)
    meeting = svc.create_meeting(
        demo_engine, admin, convention_id=convention_id, kind="copil", held_on=date(2026, 1, 5), minutes="Interne"
    )
    svc.add_decision(demo_engine, admin, meeting_id=meeting.id, text="Sur son action", links={"actions": [action]})
    svc.add_decision(demo_engine, admin, meeting_id=meeting.id, text="Sans lien")
    at = run_page(Actor(email="pilote@test", role=Role.PARTENAIRE, organisation_id=pilot))
    [table] = [d for d in at.dataframe if "Décision" in d.value.columns]
    assert table.value["Décision"].tolist() == ["Sur son action"]
    assert "Interne" not in [t.value for t in at.text]
    assert not at.main.button  # no form: partners read


def test_a_convention_whose_copils_are_not_closed_yet_shows_its_review_tab(demo_app, demo_engine):
    """Found by the benchmark on synthetic data: held but unclosed COPILs made the page fail."""
    with Session(demo_engine) as session:
        for meeting in session.exec(select(m.Meeting)).all():
            meeting.status = "tenue"
            session.add(meeting)
        session.commit()
    at = run_page(ADVISOR)
    captions = [caption.value for caption in at.caption]
    assert any(text.startswith("Aucun COPIL clos en ") for text in captions), captions
