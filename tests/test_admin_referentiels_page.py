"""Administration > Référentiels on the demo convention, run by AppTest: every tab renders,
a form creates and edits a record, a bad or stale save is refused with its French message and
writes nothing, and the page is closed to those who may not write referentials."""

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.services import referentials as ref
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "pages" / "admin_referentiels.py"
SEED = ROOT / "seeds" / "lourdes-2023"
ADMIN = Actor(email="admin@test", role=Role.ADMIN)
TAB_TITLES = [
    "Actions",
    "Indicateurs",
    "Équipements",
    "Orientations",
    "Barème",
    "Domaines",
    "Types d'organisation",
    "Types d'équipement",
    "Leviers",
]
SUBMITS = [
    "Créer l'action",
    "Créer l'indicateur",
    "Créer l'équipement",
    "Créer l'orientation",
    "Créer la ligne du barème",
    "Créer le domaine",
    "Créer le type d'organisation",
    "Créer le type d'équipement",
    "Créer le levier",
]


def seed_rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run_page(actor: Actor) -> AppTest:
    at = sign_in(AppTest.from_file(str(PAGE), default_timeout=60), actor)
    at.run()
    assert not at.exception, at.exception
    return at


def tab(at: AppTest, title: str):
    return next(t for t in at.tabs if t.label == title)


def by_label(elements, label: str):
    return next(element for element in elements if element.label == label)


def orientations(engine) -> dict[str, m.Orientation]:
    with Session(engine) as session:
        return {o.code: o for o in session.exec(select(m.Orientation))}


def audit_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(m.AuditEvent)).one()


def errors(at: AppTest) -> str:
    return "\n".join(element.value for element in at.error)


def as_read(markdown: str) -> str:
    """Markdown as a person reads it: backslash escapes resolved, invisible word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def successes(at: AppTest) -> list[str]:
    return [as_read(element.value) for element in at.success]


def test_an_admin_sees_every_referential_tab_with_its_form(demo_app):
    at = run_page(ADMIN)
    # (Other tabs — avenants, targets — have their own tests.)
    assert [t.label for t in at.tabs if t.label in TAB_TITLES] == TAB_TITLES
    for title, submit in zip(TAB_TITLES, SUBMITS, strict=True):
        selector = tab(at, title).selectbox[0]
        assert selector.label in {
            "Enregistrement à modifier (tapez pour chercher)",
            "Entrée à modifier (tapez pour chercher)",
        }
        assert selector.value in (0, "")  # « Nouveau … » first
        assert next(b.label for b in tab(at, title).button) == submit
    orientations_selector = by_label(
        tab(at, "Orientations").selectbox, "Enregistrement à modifier (tapez pour chercher)"
    )
    assert len(orientations_selector.options) == 1 + len(seed_rows("orientations"))
    bareme_selector = by_label(tab(at, "Barème").selectbox, "Enregistrement à modifier (tapez pour chercher)")
    assert len(bareme_selector.options) == 1 + len(seed_rows("bareme"))


def test_an_orientation_created_through_the_form_is_stored(demo_app, demo_engine):
    before = orientations(demo_engine)
    at = run_page(ADMIN)
    form = tab(at, "Orientations")
    by_label(form.text_input, "Code *").input("PAR3")
    by_label(form.selectbox, "Domaine").set_value("parentalite")
    by_label(form.text_input, "Intitulé *").input("Soutenir les pères")
    at.button(key="ref_orientations_submit").click().run()
    assert not at.exception, at.exception

    after = orientations(demo_engine)
    assert set(after) - set(before) == {"PAR3"}
    created = after["PAR3"]
    assert (created.domain_code, created.title, created.version) == ("parentalite", "Soutenir les pères", 1)
    assert "Enregistrement créé." in successes(at)
    selector = by_label(tab(at, "Orientations").selectbox, "Enregistrement à modifier (tapez pour chercher)")
    assert selector.value == created.id  # the new record is open for editing
    with Session(demo_engine) as session:
        event = session.exec(select(m.AuditEvent).order_by(m.AuditEvent.id.desc())).first()
    assert (event.actor, event.table_name, event.record_key) == ("admin@test", "orientations", str(created.id))


def test_a_duplicate_code_is_refused_next_to_the_form_and_nothing_is_written(demo_app, demo_engine):
    before, events = orientations(demo_engine), audit_count(demo_engine)
    at = run_page(ADMIN)
    form = tab(at, "Orientations")
    by_label(form.text_input, "Code *").input("PE1")
    by_label(form.selectbox, "Domaine").set_value("enfance")
    by_label(form.text_input, "Intitulé *").input("Doublon")
    at.button(key="ref_orientations_submit").click().run()

    assert not at.exception, at.exception
    assert "le code « PE1 » existe déjà dans cette convention" in errors(at).replace("\\", "")
    assert "Rien n'a été enregistré" in errors(at)
    assert {code: o.title for code, o in orientations(demo_engine).items()} == {
        code: o.title for code, o in before.items()
    }
    assert audit_count(demo_engine) == events


def test_an_orientation_is_edited_through_the_form(demo_app, demo_engine):
    target = orientations(demo_engine)["PE2"]
    at = run_page(ADMIN)
    by_label(tab(at, "Orientations").selectbox, "Enregistrement à modifier (tapez pour chercher)").set_value(
        target.id
    ).run()
    form = tab(at, "Orientations")
    title = by_label(form.text_input, "Intitulé *")
    assert title.value == target.title  # the form opens on the stored values
    title.input("Soutenir l'accueil individuel")
    at.button(key="ref_orientations_submit").click().run()

    assert not at.exception, at.exception
    stored = orientations(demo_engine)["PE2"]
    assert (stored.title, stored.version) == ("Soutenir l'accueil individuel", target.version + 1)
    assert "Enregistré : Intitulé." in successes(at)


def test_a_stale_form_is_refused_with_what_the_other_person_changed(demo_app, demo_engine):
    target = orientations(demo_engine)["PE3"]
    at = run_page(ADMIN)
    by_label(tab(at, "Orientations").selectbox, "Enregistrement à modifier (tapez pour chercher)").set_value(
        target.id
    ).run()
    # Someone else saves the same orientation while the form is open.
    ref.update(
        demo_engine,
        Actor(email="collegue@test", role=Role.ADMIN),
        "orientations",
        target.id,
        expected_version=target.version,
        values={"intitule": "Version du collègue"},
    )
    by_label(tab(at, "Orientations").text_input, "Intitulé *").input("Ma version")
    at.button(key="ref_orientations_submit").click().run()

    assert not at.exception, at.exception
    # Refused like every form's stale save (ctg_data.ui.forms.refusal): a warning, the input kept.
    shown = as_read("\n".join(w.value for w in at.warning))
    assert "a été modifié par collegue@test" in shown and "rien n'a été enregistré" in shown
    assert "Intitulé" in shown and "Version du collègue" in shown
    assert orientations(demo_engine)["PE3"].title == "Version du collègue"

    at.button(key="ref_orientations_reload").click().run()  # start again from what is stored
    assert not at.exception, at.exception
    assert by_label(tab(at, "Orientations").text_input, "Intitulé *").value == "Version du collègue"


@pytest.mark.parametrize(
    "actor",
    [
        Actor(email="lecteur@test", role=Role.LECTEUR),
        Actor(email="partenaire@test", role=Role.PARTENAIRE, organisation_id=1),
    ],
    ids=["lecteur", "partenaire"],
)
def test_readers_and_partners_are_refused_the_page_and_see_no_form(demo_app, actor):
    at = run_page(actor)
    # The shared page guard (permissions.PAGE_ROLES) refuses first; the page's own guard says
    # « réservé aux administrateurs » should the page ever be opened to more roles.
    refusal = errors(at)
    assert "n'est pas ouverte à votre rôle" in refusal or "réservé aux administrateurs" in refusal
    assert len(at.tabs) == 0
    assert len(at.main.text_input) == 0 and len(at.main.selectbox) == 0 and len(at.main.button) == 0


def test_an_advisor_sees_only_the_bareme(demo_app):
    at = run_page(Actor(email="conseiller@test", role=Role.CONSEILLER))
    assert [t.label for t in at.tabs] == ["Barème"]


def test_the_page_guards_itself_were_it_opened_to_every_role(demo_app, monkeypatch):
    monkeypatch.setattr("ctg_data.ui.auth.may_open_page", lambda actor, page: True)
    at = run_page(Actor(email="lecteur@test", role=Role.LECTEUR))
    assert "réservé aux administrateurs" in errors(at)
    assert len(at.tabs) == 0 and len(at.main.text_input) == 0 and len(at.main.button) == 0


def test_a_facility_moved_outside_the_perimeter_is_saved_with_a_warning(demo_app, demo_engine):
    with Session(demo_engine) as session:  # a commune the demo's perimeter (Lourdes, Jarret) leaves out
        session.add(m.Commune(insee_code="65440", name="Tarbes"))
        facility_id = session.exec(select(m.Facility.id).where(m.Facility.code == "eaje-souris-verte")).one()
        session.commit()
    at = run_page(ADMIN)
    by_label(tab(at, "Équipements").selectbox, "Enregistrement à modifier (tapez pour chercher)").set_value(
        facility_id
    ).run()
    by_label(tab(at, "Équipements").selectbox, "Commune *").set_value("65440")
    at.button(key="ref_equipements_submit").click().run()
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    with Session(demo_engine) as session:
        assert session.get_one(m.Facility, facility_id).insee_code == "65440"  # a warning, not a refusal
    assert [as_read(w.value) for w in at.warning] == [
        "équipement eaje-souris-verte à Tarbes, hors du périmètre de la convention ctg-lourdes-2023"
    ]
