"""« Appliquer une décision au plan » on the Comités page, run by AppTest on a private copy of the
demo database (its two closed COPILs, seeds/lourdes-2023): a conseiller gives an action a new
échéance from a decision of the 17/06/2025 COPIL, an administrator gives an indicator a new
target and creates an action; each time the database holds the new data, the history keeps
« Décision du COPIL du 17/06/2025 : … » as the reason (the action's history page shows it), and
the decision is linked to what it changed. A partner sees no form, a conseiller is offered only
what he may do, and a form opened before someone else's save gets the French conflict message."""

import json
from datetime import date

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.services.actions import action_for_edit, change_dates
from ctg_data.services.common import CREATED, UPDATED
from ctg_data.services.common import DATES as MOVED
from ctg_data.ui.decision_apply import DATES, NEW_ACTION, TARGET, TITLE
from tests.saisie_data import audit_events
from tests.test_comites_page import ROOT, click, widget

ADVISOR = Actor(email="conseillere@caf.test", role=Role.CONSEILLER)
ADMIN = Actor(email="admin@test.ctg", role=Role.ADMIN)
NAVETTE = "Relancer la navette de Jarret dès l'attribution du nouveau marché de transport"
REASON = f"Décision du COPIL du 17/06/2025 : {NAVETTE}"


def copil_2025(engine) -> tuple[int, int]:
    """The demo's second COPIL (closed) and its decision about the Jarret shuttle."""
    with Session(engine) as session:
        meeting = session.exec(select(m.Meeting).where(m.Meeting.held_on == date(2025, 6, 17))).one()
        decision = session.exec(select(m.Decision).where(m.Decision.text == NAVETTE)).one()
    assert meeting.status == "close" and decision.meeting_id == meeting.id
    return m.stored_id(meeting), m.stored_id(decision)


def record_id(engine, model, code: str) -> int:
    with Session(engine) as session:
        return m.stored_id(session.exec(select(model).where(model.code == code)).one())


def linked(engine, decision_id: int, attribute: str) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(select(m.DecisionLink).where(m.DecisionLink.decision_id == decision_id)).all()
    return sorted(getattr(r, attribute) for r in rows if getattr(r, attribute) is not None)


def said(elements) -> str:
    """What messages say, the Markdown escapes (ui.text.escape_markdown) taken out."""
    return " | ".join(e.value.replace("\\", "").replace("\u2060", "") for e in elements)


def open_form(signed_in, engine, actor: Actor, kind: str | None = None) -> tuple[AppTest, int]:
    """The Comités page on the 2025 COPIL, the shuttle decision chosen in the form."""
    meeting_id, decision_id = copil_2025(engine)
    at = signed_in(AppTest.from_file(str(ROOT / "pages" / "comites.py"), default_timeout=60), actor)
    at.query_params["reunion"] = str(meeting_id)
    at.run()
    assert not at.exception, at.exception
    assert TITLE in [e.label for e in at.expander]
    widget(at.selectbox, "Décision à appliquer").set_value(decision_id).run()
    if kind is not None:
        at.radio(key="comites_plan_kind").set_value(kind).run()
    assert not at.exception, at.exception
    return at, decision_id


def test_a_conseiller_gives_an_action_a_new_deadline_from_a_copil_decision(demo_app, demo_engine, signed_in):
    at, decision_id = open_form(signed_in, demo_engine, ADVISOR)
    # A conseiller writes the actions' follow-up, not the plan: only the new échéance is offered.
    assert not at.radio and "Changement : nouvelle échéance d'une action" in said(at.caption)
    shuttle = record_id(demo_engine, m.Action, "ENF-2.2")
    picker = widget(at.selectbox, "Action")
    assert picker.options[0].startswith("ENF-2.2") and picker.options[0].endswith("liée à la décision")
    picker.set_value(shuttle).run()
    widget(at.date_input, "Date de début").set_value(date(2026, 1, 5))
    widget(at.date_input, "Date de fin").set_value(date(2027, 3, 31))
    click(at, "Appliquer la nouvelle échéance")

    with Session(demo_engine) as session:
        action = session.get_one(m.Action, shuttle)
    assert (action.starts_on, action.ends_on) == (date(2026, 1, 5), date(2027, 3, 31))
    [moved] = [e for e in audit_events(demo_engine, "actions") if e.operation == MOVED]
    assert (moved.reason, moved.actor) == (REASON, ADVISOR.email)
    assert "Nouvelle échéance de l'action ENF-2.2 enregistrée : du 05/01/2026 au 31/03/2027" in said(at.success)
    assert linked(demo_engine, decision_id, "action_id") == [shuttle]  # already linked: unchanged

    # The action's history page shows the meeting as the reason.
    history = signed_in(AppTest.from_file(str(ROOT / "pages" / "historique.py"), default_timeout=60), ADVISOR)
    history.query_params["objet"] = "action"
    history.query_params["id"] = "ENF-2.2"
    history.run()
    assert not history.exception, history.exception
    reasons = [value for frame in history.dataframe if "Motif" in frame.value.columns for value in frame.value["Motif"]]
    assert REASON in reasons


def test_an_administrator_sets_a_step_indicators_target(demo_app, demo_engine, signed_in):
    at, decision_id = open_form(signed_in, demo_engine, ADMIN, TARGET)
    assert at.radio(key="comites_plan_kind").options == [DATES, TARGET, NEW_ACTION]
    tool = record_id(demo_engine, m.Indicator, "AS-OUTIL-SUIVI")  # steps: non_demarre … en_service
    widget(at.selectbox, "Indicateur").set_value(tool).run()
    target = widget(at.selectbox, "Valeur cible")
    assert target.options == ["Non démarré", "Cahier des charges", "En test", "En service"]
    target.set_value("en_test")
    widget(at.date_input, "Date cible").set_value(date(2026, 12, 31))
    click(at, "Appliquer la nouvelle cible")

    with Session(demo_engine) as session:
        indicator = session.get_one(m.Indicator, tool)
    # Stored as the position of its step: en_test is the third (0, 1, 2).
    assert (indicator.target_value, indicator.target_date) == (2, date(2026, 12, 31))
    [changed] = [e for e in audit_events(demo_engine, "indicators") if e.actor == ADMIN.email]
    assert (changed.operation, changed.reason) == (UPDATED, REASON)
    assert json.loads(changed.after)["target_date"] == "2026-12-31"
    assert tool in linked(demo_engine, decision_id, "indicator_id")
    assert "Nouvelle cible de l'indicateur AS-OUTIL-SUIVI enregistrée" in said(at.success)


def test_an_administrator_creates_an_action_from_a_decision(demo_app, demo_engine, signed_in):
    at, decision_id = open_form(signed_in, demo_engine, ADMIN, NEW_ACTION)
    widget(at.text_input, "Code").set_value("ENF-2.3")
    widget(at.text_input, "Intitulé").set_value("Navette du mercredi vers les accueils de loisirs")
    widget(at.selectbox, "Domaine").set_value("enfance")
    widget(at.selectbox, "Pilote").set_value("jarret")
    widget(at.date_input, "Date de début").set_value(date(2026, 1, 1))
    widget(at.date_input, "Date de fin").set_value(date(2027, 5, 31))
    click(at, "Créer l'action")

    with Session(demo_engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "ENF-2.3")).one()
        pilot = session.get_one(m.Organisation, action.pilot_id)
    assert (action.title, action.domain_code, pilot.code, action.starts_on, action.ends_on) == (
        "Navette du mercredi vers les accueils de loisirs",
        "enfance",
        "jarret",
        date(2026, 1, 1),
        date(2027, 5, 31),
    )
    [created] = [e for e in audit_events(demo_engine, "actions") if e.actor == ADMIN.email]
    assert created.operation == CREATED
    assert created.reason == REASON
    assert action.id in linked(demo_engine, decision_id, "action_id")
    assert "Action ENF-2.3 créée" in said(at.success)


def test_a_date_outside_the_convention_is_refused_in_french(demo_app, demo_engine, signed_in):
    at, _ = open_form(signed_in, demo_engine, ADMIN, NEW_ACTION)
    widget(at.text_input, "Code").set_value("ENF-2.4")
    widget(at.text_input, "Intitulé").set_value("Après la convention")
    widget(at.selectbox, "Domaine").set_value("enfance")
    widget(at.selectbox, "Pilote").set_value("jarret")
    widget(at.date_input, "Date de fin").set_value(date(2030, 12, 31))  # the convention ends 31/05/2027
    click(at, "Créer l'action")
    error = said(at.error)
    assert error.startswith("Rien n'a été enregistré. Corrigez") and "Date de fin" in error
    with Session(demo_engine) as session:
        assert session.exec(select(m.Action).where(m.Action.code == "ENF-2.4")).first() is None


def test_a_form_opened_before_another_save_is_refused_with_what_changed(demo_app, demo_engine, signed_in):
    at, _ = open_form(signed_in, demo_engine, ADVISOR)
    shuttle = record_id(demo_engine, m.Action, "ENF-2.2")
    widget(at.selectbox, "Action").set_value(shuttle).run()  # the form opens on the action as stored
    opened = action_for_edit(demo_engine, shuttle)
    assert opened is not None
    change_dates(  # someone else moves it meanwhile
        demo_engine,
        ADMIN,
        action_id=shuttle,
        expected_version=opened["version"],
        opened=opened,
        starts_on=date(2025, 9, 1),
        ends_on=date(2026, 6, 30),
        reason="Calendrier du marché",
    )
    widget(at.date_input, "Date de fin").set_value(date(2027, 3, 31))
    click(at, "Appliquer la nouvelle échéance")
    warning = said(at.warning)
    assert "ENF-2.2 a été modifié par admin@test.ctg depuis l'ouverture du formulaire : rien n'a été" in warning
    assert "30/06/2025 → 30/06/2026" in warning  # what changed, in French dates
    assert "Votre saisie est conservée" in warning
    with Session(demo_engine) as session:
        action = session.get_one(m.Action, shuttle)
    assert action.ends_on == date(2026, 6, 30)  # the other save, not the stale form's


def test_partners_and_readers_see_no_form(demo_app, demo_engine, signed_in):
    meeting_id, _ = copil_2025(demo_engine)
    jarret = record_id(demo_engine, m.Organisation, "jarret")  # owner of the shuttle decision
    for actor in (
        Actor(email="mairie@jarret.test", role=Role.PARTENAIRE, organisation_id=jarret),
        Actor(email="elu@test", role=Role.LECTEUR),
    ):
        at = signed_in(AppTest.from_file(str(ROOT / "pages" / "comites.py"), default_timeout=60), actor)
        at.query_params["reunion"] = str(meeting_id)
        at.run()
        assert not at.exception, at.exception
        [table] = [d for d in at.dataframe if "Décision" in d.value.columns]
        assert NAVETTE in table.value["Décision"].tolist()  # the decision is read…
        assert TITLE not in [e.label for e in at.expander]  # …but not applied
        assert not [b for b in at.button if b.label.startswith("Appliquer")]
