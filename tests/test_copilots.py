"""Co-piloted fiches and co-managed facilities: `pilote` = "simaje;lourdes" (the first leads, the
others are co-pilots in their order), `gestionnaire` likewise. Import, export, the Référentiels
form, the views and the permissions (a co-pilot is a pilot, a co-manager a manager)."""

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.permissions import (
    Capability,
    PermissionDenied,
    require_write_activity,
    visible_convention_ids,
    writable_ids,
)
from ctg_data.queries.actions import action_fiche, actions_frame
from ctg_data.queries.filters import Filters
from ctg_data.queries.history import describe_changes, organisation_names
from ctg_data.reports.bonus_report import bonus_reconciliation
from ctg_data.services import referentials as ref
from ctg_data.services.actions import update_followup
from tests.csv_folder import write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
CONVENTION = "ctg-lourdes"


def plan(pilote: str = "simaje;lourdes", gestionnaire: str = "lourdes;cias") -> dict[str, list[dict]]:
    return {
        "organisations": [
            {"code": "caf65", "nom": "CAF des Hautes-Pyrénées", "type": "caf"},
            {"code": "simaje", "nom": "SIMAJE", "type": "syndicat"},
            {"code": "lourdes", "nom": "Ville de Lourdes", "type": "commune"},
            {"code": "cias", "nom": "CIAS du Pays de Lourdes", "type": "cias"},
            {"code": "asso", "nom": "Association Familles", "type": "association"},
        ],
        "communes": [{"code_insee": "65286", "nom": "Lourdes"}],
        "conventions": [
            {"code": CONVENTION, "nom": "CTG Lourdes", "date_debut": "2023-06-01", "date_fin": "2027-05-31"}
        ],
        "signataires": [{"convention": CONVENTION, "organisation": "caf65"}],
        "perimetre": [{"convention": CONVENTION, "code_insee": "65286"}],
        "actions": [
            {
                "convention": CONVENTION,
                "code": "PE-1",
                "intitule": "Relais petite enfance",
                "domaine": "petite_enfance",
                "pilote": pilote,
                "statut": "en_cours",
            }
        ],
        "equipements": [
            {
                "convention": CONVENTION,
                "code": "RPE",
                "nom": "RPE de Lourdes",
                "type": "rpe",
                "code_insee": "65286",
                "gestionnaire": gestionnaire,
            }
        ],
    }


def load(engine, folder, sheets, actor="test"):
    return load_folder(write_folder(folder, sheets), actor=actor, engine=engine)


def organisation_ids(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {o.code: o.id for o in session.exec(select(m.Organisation))}


def the_action(session: Session) -> m.Action:
    return session.exec(select(m.Action)).one()


def copilots(engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(m.Organisation.code, m.ActionCopilot.position)
            .join(m.ActionCopilot, col(m.ActionCopilot.organisation_id) == m.Organisation.id)
            .order_by(col(m.ActionCopilot.position))
        ).all()
        return [tuple(row) for row in rows]


def comanagers(engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(m.Organisation.code, m.FacilityComanager.position)
            .join(m.FacilityComanager, col(m.FacilityComanager.organisation_id) == m.Organisation.id)
            .order_by(col(m.FacilityComanager.position))
        ).all()
        return [tuple(row) for row in rows]


def last_event(engine, table: str) -> m.AuditEvent:
    with Session(engine) as session:
        return session.exec(
            select(m.AuditEvent).where(m.AuditEvent.table_name == table).order_by(col(m.AuditEvent.id).desc())
        ).first()


# ------------------------------------------------------------------ import


def test_a_co_piloted_action_and_a_co_managed_facility_import_the_first_leading(engine, tmp_path):
    report = load(engine, tmp_path / "a", plan())
    assert report.ok, report.errors
    ids = organisation_ids(engine)
    with Session(engine) as session:
        assert the_action(session).pilot_id == ids["simaje"]
        assert session.exec(select(m.Facility)).one().manager_id == ids["lourdes"]
    assert copilots(engine) == [("lourdes", 1)]
    assert comanagers(engine) == [("cias", 1)]


def test_the_same_file_again_changes_nothing(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(pilote="simaje;lourdes;asso")).ok
    again = load(engine, tmp_path / "b", plan(pilote="simaje;lourdes;asso"))
    assert again.ok and not again.changed
    assert again.counts["actions"]["unchanged"] == 1 and again.counts["equipements"]["unchanged"] == 1


def test_changing_only_the_co_pilots_is_an_audited_update(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(pilote="simaje;lourdes;asso")).ok
    ids = organisation_ids(engine)
    report = load(engine, tmp_path / "b", plan(pilote="simaje;asso;lourdes"), actor="second")  # order only
    assert report.ok and report.counts["actions"]["updated"] == 1
    assert copilots(engine) == [("asso", 1), ("lourdes", 2)]
    event = last_event(engine, "actions")
    assert (event.actor, event.operation) == ("second", "import:modification")
    assert json.loads(event.before)["copilotes"] == [ids["lourdes"], ids["asso"]]
    assert json.loads(event.after)["copilotes"] == [ids["asso"], ids["lourdes"]]
    lines = describe_changes("actions", json.loads(event.before), json.loads(event.after), organisation_names(engine))
    assert lines == ["Copilotes : Ville de Lourdes, Association Familles → Association Familles, Ville de Lourdes"]

    # The lead hands over to a co-pilot: both columns move, one update.
    assert load(engine, tmp_path / "c", plan(pilote="lourdes;simaje")).ok
    with Session(engine) as session:
        assert the_action(session).pilot_id == ids["lourdes"]
    assert copilots(engine) == [("simaje", 1)]


def test_changing_only_the_co_managers_is_an_audited_update(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan()).ok
    ids = organisation_ids(engine)
    report = load(engine, tmp_path / "b", plan(gestionnaire="lourdes;cias;asso"))
    assert report.ok and report.counts["equipements"]["updated"] == 1
    assert comanagers(engine) == [("cias", 1), ("asso", 2)]
    event = last_event(engine, "facilities")
    assert json.loads(event.after)["cogestionnaires"] == [ids["cias"], ids["asso"]]


def test_a_code_given_twice_or_unknown_is_refused_with_its_place(engine, tmp_path):
    twice = load(engine, tmp_path / "a", plan(pilote="simaje;simaje"))
    found = {(e.where, e.line, e.column): e.message for e in twice.errors}
    assert found == {("fichier actions.csv", 2, "pilote"): "code « simaje » cité deux fois"}
    unknown = load(engine, tmp_path / "b", plan(gestionnaire="lourdes;inconnu"))
    found = {(e.where, e.line, e.column): e.message for e in unknown.errors}
    assert found == {("fichier equipements.csv", 2, "gestionnaire"): "code « inconnu » inconnu (organisation)"}
    with Session(engine) as session:
        assert session.exec(select(m.Action)).all() == []


# ------------------------------------------------------------------ export


def test_the_export_writes_the_lead_then_the_co_pilots_in_their_order(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(pilote="simaje;lourdes;asso", gestionnaire="lourdes;cias;asso")).ok
    with Session(engine) as session:
        exported = export_rows(session, convention_code=CONVENTION)
    pilote = SHEETS_BY_NAME["actions"].column_names.index("pilote")
    gestionnaire = SHEETS_BY_NAME["equipements"].column_names.index("gestionnaire")
    assert exported["actions"][0][pilote] == "simaje;lourdes;asso"  # not sorted: the order says who leads
    assert exported["equipements"][0][gestionnaire] == "lourdes;cias;asso"
    organisations = [row[0] for row in exported["organisations"]]
    assert {"simaje", "lourdes", "asso", "cias"} <= set(organisations)  # every co-pilot is cited


# ------------------------------------------------------------------ the Référentiels forms


def test_the_form_saves_co_pilots_after_the_lead_and_audits_their_change(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan()).ok
    ids = organisation_ids(engine)
    with Session(engine) as session:
        convention_id = session.exec(select(m.Convention.id)).one()
        action_id = the_action(session).id
    opened = ref.open_record(engine, "actions", action_id)
    assert opened.values["pilote"] == ["simaje", "lourdes"]

    changed = ref.update(
        engine,
        ADMIN,
        "actions",
        action_id,
        expected_version=opened.version,
        opened=opened.values,
        values={"pilote": ["simaje", "asso", "lourdes"]},
    )
    assert changed == ["Pilote"]
    assert copilots(engine) == [("asso", 1), ("lourdes", 2)]
    event = last_event(engine, "actions")
    assert json.loads(event.before)["copilotes"] == [ids["lourdes"]]
    assert json.loads(event.after)["copilotes"] == [ids["asso"], ids["lourdes"]]

    created = ref.create(
        engine,
        ADMIN,
        "actions",
        convention_id=convention_id,
        values={"code": "PE-2", "intitule": "Deux", "domaine": "enfance", "pilote": ["cias", "simaje"]},
    )
    reopened = ref.open_record(engine, "actions", created)
    assert reopened.values["pilote"] == ["cias", "simaje"] and reopened.values["statut"] == "non_renseigne"

    facility = ref.open_record(engine, "equipements", _facility_id(engine))
    assert facility.values["gestionnaire"] == ["lourdes", "cias"]
    ref.update(
        engine,
        ADMIN,
        "equipements",
        _facility_id(engine),
        expected_version=facility.version,
        opened=facility.values,
        values={"gestionnaire": ["cias", "lourdes"]},
    )
    with Session(engine) as session:
        assert session.exec(select(m.Facility)).one().manager_id == ids["cias"]
    assert comanagers(engine) == [("lourdes", 1)]


def _facility_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(m.Facility.id)).one()


# ------------------------------------------------------------------ views


def test_the_action_list_and_fiche_show_the_co_pilots(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(pilote="simaje;lourdes;asso")).ok
    with Session(engine) as session:
        convention_id = session.exec(select(m.Convention.id)).one()
    frame = actions_frame(engine, Filters(convention_id=convention_id), date(2025, 1, 1))
    assert frame.loc[0, "pilot"] == "SIMAJE"
    assert frame.loc[0, "copilots"] == ["Ville de Lourdes", "Association Familles"]
    assert frame.loc[0, "pilots"] == ["SIMAJE", "Ville de Lourdes", "Association Familles"]
    fiche = action_fiche(engine, int(frame.loc[0, "id"]))
    assert fiche["copilots"] == ["Ville de Lourdes", "Association Familles"]


# ------------------------------------------------------------------ permissions


def partner(engine, code: str) -> Actor:
    return Actor(email=f"{code}@test", role=Role.PARTENAIRE, organisation_id=organisation_ids(engine)[code])


def test_a_co_pilot_may_write_the_follow_up_and_a_stranger_may_not(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(pilote="simaje;lourdes")).ok
    with Session(engine) as session:
        action = the_action(session)
        action_id, version, convention_id = action.id, action.version, action.convention_id
        assert convention_id in visible_convention_ids(session, partner(engine, "lourdes"))
        assert writable_ids(session, partner(engine, "lourdes"), Capability.WRITE_FOLLOW_UP, m.Action, convention_id)
        assert not writable_ids(session, partner(engine, "cias"), Capability.WRITE_FOLLOW_UP, m.Action, convention_id)
    result = update_followup(
        engine,
        partner(engine, "lourdes"),
        action_id=action_id,
        expected_version=version,
        opened=None,
        status="en_pause",
        progress=30,
    )
    assert result.changed
    with pytest.raises(PermissionDenied):
        update_followup(
            engine,
            partner(engine, "cias"),
            action_id=action_id,
            expected_version=version + 1,
            opened=None,
            status="en_cours",
            progress=40,
        )


def test_a_co_manager_may_write_the_activity_and_a_stranger_may_not(engine, tmp_path):
    assert load(engine, tmp_path / "a", plan(gestionnaire="lourdes;cias")).ok
    with Session(engine) as session:
        facility = session.exec(select(m.Facility)).one()
        require_write_activity(session, partner(engine, "cias"), facility)  # no refusal
        assert writable_ids(
            session, partner(engine, "cias"), Capability.WRITE_ACTIVITY, m.Facility, facility.convention_id
        ) == {facility.id}
        # The action's pilot sees the convention, but manages nothing here.
        with pytest.raises(PermissionDenied, match="cogestionnaires"):
            require_write_activity(session, partner(engine, "simaje"), facility)


# ------------------------------------------------------------------ the bonus report reads the co-managers


def test_a_bonus_paid_to_a_co_manager_is_not_flagged_but_one_to_a_stranger_is(engine, tmp_path):
    sheets = plan(gestionnaire="lourdes;cias")
    funding = {"convention": CONVENTION, "levier": "bonus_territoire", "annee": "2024", "financeur": "caf65"}
    sheets["financements"] = [
        funding | {"beneficiaire": "cias", "equipement": "RPE", "montant_notifie": "1000"},
        funding | {"beneficiaire": "asso", "equipement": "RPE", "montant_notifie": "500"},
    ]
    assert load(engine, tmp_path / "a", sheets).ok
    with Session(engine) as session:
        convention_id = session.exec(select(m.Convention.id)).one()
    flagged = bonus_reconciliation(engine, convention_id, (2024,), today=date(2025, 6, 1))
    situation = flagged.loc[0, "situation"]
    # Only the association (neither signatory nor manager) is named: the co-manager CIAS is a manager.
    assert "gestionnaire non signataire" in situation
    assert "ni gestionnaire : asso." in flagged.loc[0, "why"]  # the CIAS, co-manager, is not named


# ------------------------------------------------------------------ the Référentiels page


def test_the_referentials_page_picks_the_lead_then_the_co_pilots(demo_app, demo_engine):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import sign_in
    from tests.test_admin_referentiels_page import PAGE, by_label, tab

    at = sign_in(AppTest.from_file(str(PAGE), default_timeout=60), ADMIN)
    at.run()
    form = tab(at, "Actions")
    by_label(form.text_input, "Code *").input("CO-1")
    by_label(form.text_input, "Intitulé *").input("Action co-pilotée")
    by_label(form.selectbox, "Domaine *").set_value("sante")
    by_label(form.selectbox, "Pilote *").set_value("simaje")
    by_label(form.multiselect, "Copilotes").select("lourdes")
    assert by_label(tab(at, "Orientations").selectbox, "Orientation parente").options  # the parent is offered
    at.button(key="ref_actions_submit").click().run()
    assert not at.exception, at.exception
    with Session(demo_engine) as session:
        action = session.exec(select(m.Action).where(m.Action.code == "CO-1")).one()
        lead = session.get(m.Organisation, action.pilot_id).code
        co = session.exec(
            select(m.Organisation.code)
            .join(m.ActionCopilot, col(m.ActionCopilot.organisation_id) == m.Organisation.id)
            .where(m.ActionCopilot.action_id == action.id)
        ).all()
    assert (lead, co) == ("simaje", ["lourdes"])
