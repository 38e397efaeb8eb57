"""Referential services (actions, indicators, facilities, orientations, barème) on SQLite and
PostgreSQL: what a valid save stores and audits, what each bad input is refused with (the field
named, nothing written), stale edits, deletions and who may write."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.queries.conventions import data_version
from ctg_data.services import referentials as ref
from tests.saisie_data import load_small

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
OTHER_ADMIN = Actor(email="autre-admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseiller@test", role=Role.CONSEILLER)
READER = Actor(email="lecteur@test", role=Role.LECTEUR)
TABLES = (
    m.Action,
    m.ActionPartner,
    m.ActionCommune,
    m.Indicator,
    m.Measurement,
    m.Facility,
    m.FacilityActivity,
    m.Orientation,
    m.RateRow,
    m.AuditEvent,
)


@pytest.fixture
def small(engine, tmp_path):
    """The small convention of tests/saisie_data.py (1 June 2023 – 31 May 2027), copied from a
    template where it is already loaded (tests/conftest.py, `database_url`)."""
    return load_small(engine, tmp_path)


@pytest.fixture
def ctg(engine, small):
    return {"engine": engine, "convention_id": small.convention_id, "org": small.organisations}


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.__tablename__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def record_id(engine, model, **where) -> int:
    with Session(engine) as session:
        return session.exec(select(model.id).filter_by(**where)).one()


def fetch(engine, model, id_):
    with Session(engine) as session:
        return session.get(model, id_)


def events(engine, table: str, key) -> list[m.AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(m.AuditEvent)
                .where(m.AuditEvent.table_name == table, m.AuditEvent.record_key == str(key))
                .order_by(m.AuditEvent.id)
            )
        )


def action_values(**overrides) -> dict:
    values = {
        "code": "PE-2",
        "intitule": "Créer un LAEP",
        "domaine": "parentalite",
        "orientation": "PE1",
        "pilote": "ville",
        "partenaires": ["caf65", "asso"],
        "public_cible": "Parents",
        "communes": ["65286"],
        "statut": "en_cours",
        "priorite": 2,
        "date_debut": date(2024, 1, 1),
        "date_fin": date(2026, 12, 31),
        "avancement": 30,
        "poids": "1,5",
        "budget_prevu": "1 234,56",
        "description": "Un lieu d'accueil enfants-parents.",
    }
    return values | overrides


VALID = {
    "actions": action_values(),
    "indicateurs": {
        "code": "NB-PARENTS",
        "nom": "Parents accueillis",
        "domaine": "parentalite",
        "action": "PE-1",
        "unite": "parents",
        "sens": "hausse",
        "valeur_reference": "58,4",
        "date_reference": date(2022, 12, 31),
        "source_reference": "LAEP",
        "valeur_cible": 80,
        "date_cible": date(2027, 5, 31),
        "frequence": "annuelle",
        "min": 0,
        "max": None,
    },
    "equipements": {
        "code": "ALSH1",
        "nom": "Centre de loisirs",
        "type": "alsh",
        "code_insee": "65286",
        "gestionnaire": "asso",
        "places": "40",
        "psu": "non",
        "classe_territoire": "B",
        "date_ouverture": date(2010, 1, 4),
        "date_fermeture": None,
    },
    "orientations": {"code": "PAR1", "domaine": "parentalite", "intitule": "Soutenir les parents"},
    "bareme": {
        "annee": 2025,
        "levier": "bonus_territoire",
        "type_equipement": "alsh",
        "classe_territoire": None,
        "base": "par_heure",
        "montant": "0,155",
        "plancher": "1 000",
        "plafond": 22000,
        "source": "Circulaire",
    },
}
CONVENTION_KINDS = ("actions", "indicateurs", "equipements", "orientations")


def create(ctg, sheet: str, values: dict, actor=ADMIN, **kw) -> int:
    convention = {} if sheet == "bareme" else {"convention_id": ctg["convention_id"]}
    return ref.create(ctg["engine"], actor, sheet, values=values, **convention, **kw)


def refused(ctg, call, field: str, fragment: str) -> None:
    """`call` raises a ValidationError naming `field` with `fragment` in its message, and no row
    of any table changed."""
    before = counts(ctg["engine"])
    with pytest.raises(ValidationError) as error:
        call()
    assert field in error.value.errors, error.value.errors
    assert fragment in error.value.errors[field], error.value.errors
    assert counts(ctg["engine"]) == before


# ------------------------------------------------------------------ creating


def test_an_admin_creates_an_action_with_its_partners_and_communes(ctg):
    engine, before = ctg["engine"], counts(ctg["engine"])
    action_id = create(ctg, "actions", VALID["actions"])

    action = fetch(engine, m.Action, action_id)
    assert (action.code, action.title, action.domain_code, action.status) == (
        "PE-2",
        "Créer un LAEP",
        "parentalite",
        "en_cours",
    )
    assert action.pilot_id == ctg["org"]["ville"]
    assert action.orientation_id == record_id(engine, m.Orientation, code="PE1")
    assert action.planned_budget == Decimal("1234.56")  # typed as "1 234,56"
    assert action.weight == Decimal("1.5")  # typed as "1,5"
    assert (action.priority, action.progress, action.starts_on, action.ends_on) == (
        2,
        30,
        date(2024, 1, 1),
        date(2026, 12, 31),
    )
    assert action.version == 1 and action.deleted_at is None
    with Session(engine) as session:
        partners = set(
            session.exec(select(m.ActionPartner.organisation_id).where(m.ActionPartner.action_id == action_id))
        )
        communes = set(session.exec(select(m.ActionCommune.insee_code).where(m.ActionCommune.action_id == action_id)))
    assert partners == {ctg["org"]["caf65"], ctg["org"]["asso"]}
    assert communes == {"65286"}
    after = counts(engine)
    assert after["actions"] == before["actions"] + 1
    assert after["action_partners"] == before["action_partners"] + 2
    assert after["audit_events"] == before["audit_events"] + 1

    [event] = events(engine, "actions", action_id)
    assert (event.actor, event.operation, event.before) == ("admin@test", "saisie:création", None)
    stored = json.loads(event.after)
    assert stored["title"] == "Créer un LAEP" and stored["planned_budget"] == "1234.56"
    assert stored["partenaires"] == sorted([ctg["org"]["caf65"], ctg["org"]["asso"]])
    assert stored["communes"] == ["65286"]


@pytest.mark.parametrize("sheet", ["indicateurs", "equipements", "orientations"])
def test_an_admin_creates_a_referential_record_and_it_is_audited(ctg, sheet):
    engine, before, version = ctg["engine"], counts(ctg["engine"]), data_version(ctg["engine"])
    new_id = create(ctg, sheet, VALID[sheet])
    assert data_version(engine) > version  # every page's read cache moves on
    model = ref.KINDS[sheet].model
    record = fetch(engine, model, new_id)
    assert record.code == VALID[sheet]["code"] and record.convention_id == ctg["convention_id"]
    after = counts(engine)
    assert after[model.__tablename__] == before[model.__tablename__] + 1
    assert after["audit_events"] == before["audit_events"] + 1
    [event] = events(engine, model.__tablename__, new_id)
    assert (event.actor, event.operation) == ("admin@test", "saisie:création")
    assert json.loads(event.after)["code"] == VALID[sheet]["code"]


def test_typed_text_becomes_typed_values(ctg):
    engine = ctg["engine"]
    indicator = fetch(engine, m.Indicator, create(ctg, "indicateurs", VALID["indicateurs"]))
    assert indicator.baseline_value == pytest.approx(58.4)  # typed as "58,4"
    assert indicator.action_id == record_id(engine, m.Action, code="PE-1")
    facility = fetch(engine, m.Facility, create(ctg, "equipements", VALID["equipements"]))
    assert (facility.places, facility.psu, facility.territory_class) == (40, False, "B")
    assert facility.manager_id == ctg["org"]["asso"]


def test_an_advisor_creates_a_bareme_row(ctg):
    engine, before = ctg["engine"], counts(ctg["engine"])
    row = fetch(engine, m.RateRow, create(ctg, "bareme", VALID["bareme"], actor=ADVISOR))
    assert (row.year, row.lever_code, row.facility_type, row.territory_class, row.basis) == (
        2025,
        "bonus_territoire",
        "alsh",
        "",
        "par_heure",
    )
    assert row.amount == Decimal("0.155")  # a rate may go below the cent
    assert (row.floor, row.cap) == (Decimal("1000.00"), Decimal("22000.00"))
    assert counts(engine)["rate_rows"] == before["rate_rows"] + 1
    [event] = events(engine, "rate_rows", row.id)
    assert (event.actor, event.operation) == ("conseiller@test", "saisie:création")


# ------------------------------------------------------------------ refusing bad input


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"code": "PE-1"}, "Code", "le code « PE-1 » existe déjà dans cette convention"),
        ({"code": "PE 2"}, "Code", "invalide"),
        ({"domaine": "sport"}, "Domaine", "code « sport » inconnu"),
        ({"pilote": "personne"}, "Pilote", "code « personne » inconnu (organisation)"),
        ({"partenaires": ["caf65", "personne"]}, "Partenaires", "code « personne » inconnu"),
        ({"orientation": "ZZ9"}, "Orientation", "code « ZZ9 » inconnu"),
        ({"communes": ["99999"]}, "Communes", "code « 99999 » inconnu"),
        ({"date_debut": date(2025, 1, 1), "date_fin": date(2024, 6, 1)}, "Date de fin", "précède"),
        ({"avancement": 120}, "Avancement", "hors bornes"),
        ({"priorite": 5}, "Priorité", "hors bornes"),
        ({"statut": "realisee", "avancement": 80}, "Avancement", "100"),
        ({"statut": "terminee"}, "Statut", "inconnue"),
        ({"poids": "0"}, "Poids", "strictement positive"),
        ({"budget_prevu": "-5"}, "Budget prévu (€)", "négatif"),
        ({"budget_prevu": "10,125"}, "Budget prévu (€)", "deux décimales"),
        ({"budget_prevu": "douze"}, "Budget prévu (€)", "nombre attendu"),
        ({"date_fin": date(2027, 6, 1)}, "Date de fin", "hors de la convention"),
        ({"date_debut": date(2023, 5, 31)}, "Date de début", "hors de la convention"),
        ({"intitule": "  "}, "Intitulé", "obligatoire"),
        ({"intitule": "x" * 501}, "Intitulé", "500 caractères au plus"),
        ({"budget": "12"}, "budget", "champ inconnu"),
    ],
)
def test_a_bad_action_is_refused_naming_the_field_and_nothing_is_written(ctg, overrides, field, fragment):
    refused(ctg, lambda: create(ctg, "actions", action_values(**overrides)), field, fragment)


def test_a_date_outside_the_convention_is_saved_with_its_reason_in_the_audit(ctg):
    engine = ctg["engine"]
    reason = "Prolongée jusqu'à la livraison du bâtiment"
    action_id = create(ctg, "actions", action_values(date_fin=date(2027, 12, 31)), override_reason=reason)
    assert fetch(engine, m.Action, action_id).ends_on == date(2027, 12, 31)
    [event] = events(engine, "actions", action_id)
    assert event.reason == reason


@pytest.mark.parametrize(
    ("sheet", "overrides", "field", "fragment"),
    [
        ("indicateurs", {"code": "TX"}, "Code", "le code « TX » existe déjà dans cette convention"),
        ("indicateurs", {"domaine": "sport"}, "Domaine", "inconnu"),
        ("indicateurs", {"action": "NOPE"}, "Action liée", "code « NOPE » inconnu"),
        ("indicateurs", {"unite": None}, "Unité", "obligatoire"),
        ("indicateurs", {"sens": "monte"}, "Sens", "inconnue"),
        ("indicateurs", {"valeur_reference": "beaucoup"}, "Valeur de référence", "nombre attendu"),
        ("indicateurs", {"min": 10, "max": 5}, "Maximum", "inférieur au minimum"),
        ("indicateurs", {"date_cible": date(2022, 1, 1)}, "Date cible", "précède"),
        ("equipements", {"code": "EAJE1"}, "Code", "existe déjà dans cette convention"),
        ("equipements", {"type": "creche"}, "Type", "inconnu (type d'équipement)"),
        ("equipements", {"code_insee": "99999"}, "Commune", "code « 99999 » inconnu"),
        ("equipements", {"gestionnaire": "personne"}, "Gestionnaire", "inconnu"),
        ("equipements", {"places": -3}, "Places", "positive ou nulle"),
        ("equipements", {"psu": "peut-être"}, "PSU", "oui ou non"),
        ("equipements", {"date_fermeture": date(2009, 1, 1)}, "Date de fermeture", "précède"),
        ("orientations", {"code": "PE1"}, "Code", "le code « PE1 » existe déjà dans cette convention"),
        ("orientations", {"domaine": "sport"}, "Domaine", "inconnu"),
        ("orientations", {"intitule": ""}, "Intitulé", "obligatoire"),
        (
            "bareme",
            {"annee": 2024, "type_equipement": "eaje", "base": "par_place"},
            "Année",
            "une ligne du barème existe déjà",
        ),
        ("bareme", {"annee": 1800}, "Année", "hors bornes"),
        ("bareme", {"levier": "loterie"}, "Levier", "inconnu"),
        ("bareme", {"base": "par_jour"}, "Base", "inconnue"),
        ("bareme", {"montant": "-1"}, "Montant", "négatif"),
        ("bareme", {"montant": None}, "Montant", "obligatoire"),
        ("bareme", {"plancher": "1,234"}, "Plancher (€)", "deux décimales"),
        ("bareme", {"plancher": "-10"}, "Plancher (€)", "négatif"),
        ("bareme", {"plancher": "500", "plafond": "100"}, "Plafond (€)", "inférieur au plancher"),
    ],
)
def test_a_bad_referential_record_is_refused_naming_the_field(ctg, sheet, overrides, field, fragment):
    refused(ctg, lambda: create(ctg, sheet, VALID[sheet] | overrides, actor=ADMIN), field, fragment)


def test_an_unknown_convention_is_refused(ctg):
    refused(
        ctg,
        lambda: ref.create(ctg["engine"], ADMIN, "orientations", convention_id=999_999, values=VALID["orientations"]),
        "Convention",
        "introuvable",
    )


# ------------------------------------------------------------------ editing


def test_an_admin_edits_an_action_and_the_audit_keeps_before_and_after(ctg):
    engine = ctg["engine"]
    action_id = record_id(engine, m.Action, code="PE-1")
    opened = ref.open_record(engine, "actions", action_id)
    assert opened.values["partenaires"] == ["asso", "caf65"] and opened.values["pilote"] == ["ville"]

    changed = ref.update(
        engine,
        ADMIN,
        "actions",
        action_id,
        expected_version=opened.version,
        opened=opened.values,
        values={"intitule": "Ouvrir deux crèches", "partenaires": ["caf65"]},
    )

    assert changed == ["Intitulé", "Partenaires"]
    action = fetch(engine, m.Action, action_id)
    assert action.title == "Ouvrir deux crèches" and action.version == opened.version + 1
    assert action.planned_budget == Decimal("1234.56")  # fields not given keep their value
    event = events(engine, "actions", action_id)[-1]
    assert (event.actor, event.operation) == ("admin@test", "saisie:modification")
    before, after = json.loads(event.before), json.loads(event.after)
    assert (before["title"], after["title"]) == ("Ouvrir une crèche", "Ouvrir deux crèches")
    assert before["partenaires"] == sorted([ctg["org"]["caf65"], ctg["org"]["asso"]])
    assert after["partenaires"] == [ctg["org"]["caf65"]]


def test_an_edit_that_changes_nothing_writes_nothing(ctg):
    engine = ctg["engine"]
    action_id = record_id(engine, m.Action, code="PE-1")
    opened = ref.open_record(engine, "actions", action_id)
    before = counts(engine)
    assert (
        ref.update(
            engine,
            ADMIN,
            "actions",
            action_id,
            expected_version=opened.version,
            opened=opened.values,
            values=opened.values | {"budget_prevu": "1 234,560", "poids": "2"},
        )
        == []
    )
    assert counts(engine) == before
    assert fetch(engine, m.Action, action_id).version == opened.version


def test_a_bad_edit_is_refused_and_the_record_is_unchanged(ctg):
    engine = ctg["engine"]
    action_id = record_id(engine, m.Action, code="PE-1")
    opened = ref.open_record(engine, "actions", action_id)
    refused(
        ctg,
        lambda: ref.update(
            engine,
            ADMIN,
            "actions",
            action_id,
            expected_version=opened.version,
            values={"avancement": 120, "intitule": "Autre"},
        ),
        "Avancement",
        "hors bornes",
    )
    assert ref.open_record(engine, "actions", action_id) == opened


def test_an_edit_keeps_a_date_already_outside_the_convention_without_a_new_reason(ctg):
    engine = ctg["engine"]
    action_id = create(ctg, "actions", action_values(date_fin=date(2028, 6, 30)), override_reason="Chantier")
    opened = ref.open_record(engine, "actions", action_id)
    assert ref.update(
        engine, ADMIN, "actions", action_id, expected_version=opened.version, values={"avancement": 50}
    ) == ["Avancement"]
    refused(
        ctg,
        lambda: ref.update(
            engine,
            ADMIN,
            "actions",
            action_id,
            expected_version=opened.version + 1,
            values={"date_fin": date(2028, 7, 31)},
        ),
        "Date de fin",
        "motif de dérogation",
    )


@pytest.mark.parametrize(
    ("sheet", "key", "first", "second", "field"),
    [
        ("actions", {"code": "PE-1"}, {"statut": "en_pause"}, {"intitule": "Autre"}, "Statut"),
        ("indicateurs", {"code": "TX"}, {"valeur_cible": 65}, {"nom": "Autre"}, "Valeur cible"),
        ("equipements", {"code": "EAJE1"}, {"places": 30}, {"nom": "Autre"}, "Places"),
        ("orientations", {"code": "PE1"}, {"intitule": "Plus de places"}, {"domaine": "enfance"}, "Intitulé"),
        ("bareme", {"year": 2024}, {"montant": "3700"}, {"source": "Autre"}, "Montant"),
    ],
)
def test_a_stale_edit_is_refused_with_what_changed_and_the_first_save_is_kept(ctg, sheet, key, first, second, field):
    engine, model = ctg["engine"], ref.KINDS[sheet].model
    id_ = record_id(engine, model, **key)
    mine = ref.open_record(engine, sheet, id_)
    theirs = ref.open_record(engine, sheet, id_)
    ref.update(engine, OTHER_ADMIN, sheet, id_, expected_version=theirs.version, opened=theirs.values, values=first)
    saved = counts(engine), ref.open_record(engine, sheet, id_)

    with pytest.raises(ConflictError) as conflict:
        ref.update(engine, ADMIN, sheet, id_, expected_version=mine.version, opened=mine.values, values=second)

    assert conflict.value.changed_by == "autre-admin@test"
    [(name, was, now)] = conflict.value.changes
    column = next(iter(first))
    assert (name, was, now) == (field, mine.values[column], saved[1].values[column])
    assert "rien n'a été enregistré" in str(conflict.value)
    assert (counts(engine), ref.open_record(engine, sheet, id_)) == saved


# ------------------------------------------------------------------ deleting


def test_deleting_an_action_marks_it_deleted_keeps_its_code_and_is_audited(ctg):
    engine = ctg["engine"]
    action_id = record_id(engine, m.Action, code="PE-1")
    opened = ref.open_record(engine, "actions", action_id)
    before = counts(engine)
    ref.delete(engine, ADMIN, "actions", action_id, expected_version=opened.version, reason="Doublon")

    action = fetch(engine, m.Action, action_id)
    assert action.deleted_at is not None and action.version == opened.version + 1
    assert counts(engine) == before | {"audit_events": before["audit_events"] + 1}
    event = events(engine, "actions", action_id)[-1]
    assert (event.operation, event.reason) == ("saisie:suppression", "Doublon")
    assert ref.open_record(engine, "actions", action_id) is None
    assert all(r["id"] != action_id for r in ref.list_records(engine, "actions", ctg["convention_id"]))
    refused(ctg, lambda: create(ctg, "actions", action_values(code="PE-1")), "Code", "(action supprimée)")
    refused(
        ctg,
        lambda: ref.update(
            engine, ADMIN, "actions", action_id, expected_version=action.version, values={"intitule": "Retour"}
        ),
        "Enregistrement",
        "supprimé",
    )


@pytest.mark.parametrize(
    ("sheet", "key", "what"),
    [
        ("indicateurs", {"code": "TX"}, "2 mesure(s)"),
        ("equipements", {"code": "EAJE1"}, "1 année(s) d'activité, 1 ligne(s) de financement"),
        ("orientations", {"code": "PE1"}, "1 action(s)"),
    ],
)
def test_a_record_other_data_depends_on_cannot_be_deleted(ctg, sheet, key, what):
    engine = ctg["engine"]
    id_ = record_id(engine, ref.KINDS[sheet].model, **key)
    version = ref.open_record(engine, sheet, id_).version
    refused(ctg, lambda: ref.delete(engine, ADMIN, sheet, id_, expected_version=version), "Enregistrement", what)


@pytest.mark.parametrize("sheet", ["indicateurs", "equipements", "orientations", "bareme"])
def test_an_unused_record_is_deleted_and_the_audit_keeps_what_it_was(ctg, sheet):
    engine, model = ctg["engine"], ref.KINDS[sheet].model
    id_ = create(ctg, sheet, VALID[sheet])
    before = counts(engine)
    ref.delete(engine, ADMIN, sheet, id_, expected_version=1)
    after = counts(engine)
    assert after[model.__tablename__] == before[model.__tablename__] - 1
    event = events(engine, model.__tablename__, id_)[-1]
    assert (event.operation, event.after) == ("saisie:suppression", None)
    assert json.loads(event.before)["id"] == id_


def test_a_stale_delete_is_refused(ctg):
    engine = ctg["engine"]
    id_ = record_id(engine, m.Orientation, code="PE1")
    ref.update(engine, OTHER_ADMIN, "orientations", id_, expected_version=1, values={"intitule": "Autre"})
    with pytest.raises(ConflictError):
        ref.delete(engine, ADMIN, "orientations", id_, expected_version=1)
    assert fetch(engine, m.Orientation, id_).title == "Autre"


# ------------------------------------------------------------------ who may write


@pytest.mark.parametrize(
    "actor",
    [READER, Actor(email="partenaire@test", role=Role.PARTENAIRE, organisation_id=1)],
    ids=["lecteur", "partenaire"],
)
@pytest.mark.parametrize("sheet", [*CONVENTION_KINDS, "bareme"])
def test_readers_and_partners_may_not_write_referentials(ctg, actor, sheet):
    engine, model = ctg["engine"], ref.KINDS[sheet].model
    before = counts(engine)
    with pytest.raises(PermissionDenied):
        create(ctg, sheet, VALID[sheet], actor=actor)
    with Session(engine) as session:
        id_ = session.exec(select(model.id)).first()
    with pytest.raises(PermissionDenied):
        ref.update(engine, actor, sheet, id_, expected_version=1, values={})
    with pytest.raises(PermissionDenied):
        ref.delete(engine, actor, sheet, id_, expected_version=1)
    assert counts(engine) == before


@pytest.mark.parametrize("sheet", CONVENTION_KINDS)
def test_an_advisor_may_write_the_bareme_but_not_the_other_referentials(ctg, sheet):
    before = counts(ctg["engine"])
    with pytest.raises(PermissionDenied) as denied:
        create(ctg, sheet, VALID[sheet], actor=ADVISOR)
    assert "référentiels" in str(denied.value)
    assert counts(ctg["engine"]) == before


# ------------------------------------------------------------------ warnings with a saved record


def test_a_facility_outside_the_perimeter_is_saved_with_a_warning(ctg):
    engine = ctg["engine"]
    with Session(engine) as session:  # a commune the small convention's perimeter (65286 only) leaves out
        session.add(m.Commune(insee_code="65233", name="Jarret"))
        session.commit()
    inside = create(ctg, "equipements", VALID["equipements"])
    assert ref.record_warnings(engine, "equipements", inside) == []
    outside = create(ctg, "equipements", VALID["equipements"] | {"code": "ALSH2", "code_insee": "65233"})
    assert fetch(engine, m.Facility, outside).insee_code == "65233"  # a warning, not a refusal
    assert ref.record_warnings(engine, "equipements", outside) == [
        "équipement ALSH2 à Jarret, hors du périmètre de la convention ctg-t"
    ]
    ref.update(engine, ADMIN, "equipements", inside, expected_version=1, values={"code_insee": "65233"})
    assert ref.record_warnings(engine, "equipements", inside) == [
        "équipement ALSH1 à Jarret, hors du périmètre de la convention ctg-t"
    ]
    assert ref.record_warnings(engine, "orientations", record_id(engine, m.Orientation, code="PE1")) == []
