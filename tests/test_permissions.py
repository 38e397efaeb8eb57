"""Role × operation: what each role may read and write, checked in ctg_data (permissions and
the write services), never only by hiding a page. A partner writes only where its organisation
pilots the action, is one of its partners, or manages the facility."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data import permissions as p
from ctg_data.actors import Actor, Role
from ctg_data.errors import PermissionDenied


@pytest.fixture
def world(engine):
    """Two organisations A and B, three conventions:
    - `ouverte`: action A1 piloted by A; action B1 piloted by B (partner C); action B2 piloted by
      B with A as partner; an indicator per action and one without action; facilities of A and B;
    - `reservee` (restricted): action R1 piloted by A, its indicator and a facility of A;
    - `ailleurs`: B's convention, where A takes no part.
    Accounts of every role, the partner tied to A."""
    with Session(engine) as s:
        s.add(m.Commune(insee_code="65286", name="Lourdes"))
        orgs = {code: m.Organisation(code=code, name=f"Organisation {code}", type="commune") for code in "ABC"}
        s.add_all(orgs.values())
        conventions = {
            code: m.Convention(
                code=code,
                name=code,
                starts_on=date(2023, 6, 1),
                ends_on=date(2027, 5, 31),
                restricted=code == "reservee",
            )
            for code in ("ouverte", "reservee", "ailleurs")
        }
        s.add_all(conventions.values())
        s.flush()
        ids = {"org": {c: o.id for c, o in orgs.items()}, "conv": {c: v.id for c, v in conventions.items()}}
        actions = {}
        for code, conv, pilot, partners in (
            ("A1", "ouverte", "A", []),
            ("B1", "ouverte", "B", ["C"]),
            ("B2", "ouverte", "B", ["A"]),
            ("R1", "reservee", "A", []),
            ("X1", "ailleurs", "B", []),
        ):
            action = m.Action(
                convention_id=ids["conv"][conv],
                code=code,
                title=f"Action {code}",
                domain_code="petite_enfance",
                pilot_id=ids["org"][pilot],
                status="en_cours",
            )
            s.add(action)
            s.flush()
            s.add_all(m.ActionPartner(action_id=action.id, organisation_id=ids["org"][o]) for o in partners)
            actions[code] = action
        indicators = {}
        for code, conv, action in (
            ("IA1", "ouverte", "A1"),
            ("IB1", "ouverte", "B1"),
            ("IB2", "ouverte", "B2"),
            ("ISANS", "ouverte", None),
            ("IR1", "reservee", "R1"),
        ):
            indicator = m.Indicator(
                convention_id=ids["conv"][conv],
                code=code,
                name=f"Indicateur {code}",
                domain_code="petite_enfance",
                unit="places",
                direction="hausse",
                action_id=actions[action].id if action else None,
            )
            s.add(indicator)
            indicators[code] = indicator
        facilities = {}
        for code, conv, manager in (("FA", "ouverte", "A"), ("FB", "ouverte", "B"), ("FR", "reservee", "A")):
            facility = m.Facility(
                convention_id=ids["conv"][conv],
                code=code,
                name=f"Équipement {code}",
                type="eaje",
                insee_code="65286",
                manager_id=ids["org"][manager],
                places=20,
            )
            s.add(facility)
            facilities[code] = facility
        s.flush()
        for indicator in indicators.values():
            s.add(
                m.Measurement(indicator_id=indicator.id, measured_on=date(2024, 12, 31), value=10, recorded_by="test")
            )
        s.add(
            m.FundingLine(
                convention_id=ids["conv"]["ouverte"],
                lever_code="bonus_territoire",
                year=2024,
                funder_id=ids["org"]["C"],
                beneficiary_id=ids["org"]["A"],
                planned=Decimal("100.00"),
            )
        )
        users = {}
        for role in Role:
            user = m.User(
                email=f"{role.value}@test.ctg",
                role=role.value,
                organisation_id=ids["org"]["A"] if role == Role.PARTENAIRE else None,
            )
            s.add(user)
            users[role] = user
        s.commit()
        ids |= {
            "action": {c: a.id for c, a in actions.items()},
            "indicator": {c: i.id for c, i in indicators.items()},
            "facility": {c: f.id for c, f in facilities.items()},
            "actor": {
                role: Actor(email=u.email, role=role, user_id=u.id, organisation_id=u.organisation_id)
                for role, u in users.items()
            },
        }
    return engine, ids


L, P, C, A = Role.LECTEUR, Role.PARTENAIRE, Role.CONSEILLER, Role.ADMIN
EVERYONE, ADVISORS = {L, P, C, A}, {C, A}


def check(engine, ids, operation: str, actor: Actor) -> None:
    """Run one permission check; raises PermissionDenied when refused."""
    conv, action, indicator, facility = ids["conv"], ids["action"], ids["indicator"], ids["facility"]
    with Session(engine) as s:
        get = s.get
        operations = {
            "lire la convention ouverte": lambda: p.require_read_convention(s, actor, conv["ouverte"]),
            "lire la convention réservée": lambda: p.require_read_convention(s, actor, conv["reservee"]),
            "lire une convention sans son organisation": lambda: p.require_read_convention(s, actor, conv["ailleurs"]),
            "mesure, action pilotée": lambda: p.require_write_measurement(s, actor, get(m.Indicator, indicator["IA1"])),
            "mesure, action partenaire": lambda: p.require_write_measurement(
                s, actor, get(m.Indicator, indicator["IB2"])
            ),
            "mesure, action d'une autre organisation": lambda: p.require_write_measurement(
                s, actor, get(m.Indicator, indicator["IB1"])
            ),
            "mesure, indicateur sans action": lambda: p.require_write_measurement(
                s, actor, get(m.Indicator, indicator["ISANS"])
            ),
            "suivi, action pilotée": lambda: p.require_write_action(s, actor, get(m.Action, action["A1"])),
            "suivi, action partenaire": lambda: p.require_write_action(s, actor, get(m.Action, action["B2"])),
            "suivi, action d'une autre organisation": lambda: p.require_write_action(
                s, actor, get(m.Action, action["B1"])
            ),
            "activité, équipement géré": lambda: p.require_write_activity(s, actor, get(m.Facility, facility["FA"])),
            "activité, autre équipement": lambda: p.require_write_activity(s, actor, get(m.Facility, facility["FB"])),
            "financements": lambda: p.require_write_funding(s, actor, conv["ouverte"]),
            "barème": lambda: p.require_write_rates(actor),
            "valider une mesure": lambda: p.require_validate_measurement(s, actor, get(m.Indicator, indicator["IA1"])),
            "comptes": lambda: p.require_manage_accounts(actor),
            "référentiels": lambda: p.require_write_referentials(actor),
            "journal": lambda: p.require_read_audit(actor),
            "écrire dans la convention réservée": lambda: p.require_write_measurement(
                s, actor, get(m.Indicator, indicator["IR1"])
            ),
        }
        operations[operation]()


MATRIX = {
    "lire la convention ouverte": EVERYONE,
    "lire la convention réservée": {A},
    "lire une convention sans son organisation": {L, C, A},
    "mesure, action pilotée": {P, C, A},
    "mesure, action partenaire": {P, C, A},
    "mesure, action d'une autre organisation": ADVISORS,
    "mesure, indicateur sans action": ADVISORS,
    "suivi, action pilotée": {P, C, A},
    "suivi, action partenaire": {P, C, A},
    "suivi, action d'une autre organisation": ADVISORS,
    "activité, équipement géré": {P, C, A},
    "activité, autre équipement": ADVISORS,
    "financements": ADVISORS,
    "barème": ADVISORS,
    "valider une mesure": ADVISORS,
    "comptes": {A},
    "référentiels": {A},
    "journal": {A},
    "écrire dans la convention réservée": {A},
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("operation", list(MATRIX))
def test_role_by_operation(world, operation, role):
    engine, ids = world
    actor = ids["actor"][role]
    if role in MATRIX[operation]:
        check(engine, ids, operation, actor)
    else:
        with pytest.raises(PermissionDenied) as refused:
            check(engine, ids, operation, actor)
        assert str(refused.value)[0].isupper() and str(refused.value).endswith(".")


def test_refusals_are_explained_in_french(world):
    engine, ids = world
    with pytest.raises(PermissionDenied, match="Seuls le pilote et les partenaires"):
        check(engine, ids, "mesure, action d'une autre organisation", ids["actor"][P])
    with pytest.raises(
        PermissionDenied, match=r"Votre rôle \(lecteur \(comité de pilotage\)\) ne permet pas de saisir"
    ):
        check(engine, ids, "suivi, action pilotée", ids["actor"][L])
    with pytest.raises(PermissionDenied, match="Vous n'avez pas accès à cette convention"):
        check(engine, ids, "lire la convention réservée", ids["actor"][C])


def grant(engine, ids, role, convention="reservee"):
    with Session(engine) as s:
        s.add(m.ConventionMember(convention_id=ids["conv"][convention], user_id=ids["actor"][role].user_id))
        s.commit()


@pytest.mark.parametrize("role", [L, P, C])
def test_a_member_reads_a_restricted_convention(world, role):
    engine, ids = world
    grant(engine, ids, role)
    check(engine, ids, "lire la convention réservée", ids["actor"][role])


def test_a_member_partner_writes_in_a_restricted_convention_only_for_its_organisation(world):
    engine, ids = world
    grant(engine, ids, P)
    check(engine, ids, "écrire dans la convention réservée", ids["actor"][P])
    with pytest.raises(PermissionDenied):
        check(engine, ids, "écrire dans la convention réservée", ids["actor"][L])


def test_visible_conventions_by_role(world):
    engine, ids = world
    conv = ids["conv"]
    with Session(engine) as s:
        visible = {role: p.visible_convention_ids(s, ids["actor"][role]) for role in Role}
    assert visible[A] == set(conv.values())
    assert visible[L] == visible[C] == {conv["ouverte"], conv["ailleurs"]}
    assert visible[P] == {conv["ouverte"]}
    grant(engine, ids, P, "ailleurs")
    grant(engine, ids, L, "reservee")
    with Session(engine) as s:
        assert p.visible_convention_ids(s, ids["actor"][P]) == {conv["ouverte"], conv["ailleurs"]}
        assert p.visible_convention_ids(s, ids["actor"][L]) == set(conv.values())
    assert p.visible_conventions(engine, ids["actor"][P]) == frozenset({conv["ouverte"], conv["ailleurs"]})


def test_a_partner_sees_a_convention_it_signed_or_where_it_manages_a_facility(world):
    engine, ids = world
    partner = ids["actor"][P]
    with Session(engine) as s:
        s.add(m.Signatory(convention_id=ids["conv"]["ailleurs"], organisation_id=partner.organisation_id))
        s.commit()
        assert ids["conv"]["ailleurs"] in p.visible_convention_ids(s, partner)
        s.delete(s.exec(select(m.Signatory)).one())
        s.add(
            m.Facility(
                convention_id=ids["conv"]["ailleurs"],
                code="FX",
                name="X",
                type="rpe",
                insee_code="65286",
                manager_id=partner.organisation_id,
            )
        )
        s.commit()
        assert ids["conv"]["ailleurs"] in p.visible_convention_ids(s, partner)


def test_a_partner_without_organisation_sees_and_writes_nothing(world):
    engine, ids = world
    orphan = Actor(email="x@test.ctg", role=Role.PARTENAIRE)
    with Session(engine) as s:
        assert p.visible_convention_ids(s, orphan) == set()
    with pytest.raises(PermissionDenied):
        check(engine, ids, "mesure, action pilotée", orphan)


def test_pages_each_role_may_open():
    assert p.may_open_page(Actor("a", A), "comptes") and p.may_open_page(Actor("a", A), "journal")
    for role in (L, P, C):
        assert not p.may_open_page(Actor("x", role), "comptes")
        assert not p.may_open_page(Actor("x", role), "controles")
        assert p.may_open_page(Actor("x", role), "indicateurs")
    assert not p.may_open_page(Actor("x", L), "saisie_mesure")
    assert p.may_open_page(Actor("x", P), "saisie_mesure")
    assert p.may_open_page(Actor("x", C), "admin_referentiels")
    assert not p.may_open_page(Actor("x", P), "admin_referentiels")


# ------------------------------------------------------------------ the same rules in the services


def service_call(engine, ids, operation: str, actor: Actor):
    from ctg_data.services import activity, funding, measurements
    from ctg_data.services.actions import update_followup

    indicator, action, facility = ids["indicator"], ids["action"], ids["facility"]
    with Session(engine) as s:
        line = s.exec(select(m.FundingLine)).one()
        measurement = s.exec(
            select(m.Measurement).where(
                m.Measurement.indicator_id == indicator["IA1"], m.Measurement.measured_on == date(2024, 12, 31)
            )
        ).one()
        versions = {code: s.get(m.Action, i).version for code, i in action.items()}
    calls = {
        "mesure, action pilotée": lambda: measurements.record_measurement(
            engine, actor, indicator_id=indicator["IA1"], measured_on=date(2025, 6, 30), value=12
        ),
        "mesure, action d'une autre organisation": lambda: measurements.record_measurement(
            engine, actor, indicator_id=indicator["IB1"], measured_on=date(2025, 6, 30), value=12
        ),
        "écrire dans la convention réservée": lambda: measurements.record_measurement(
            engine, actor, indicator_id=indicator["IR1"], measured_on=date(2025, 6, 30), value=12
        ),
        "suivi, action partenaire": lambda: update_followup(
            engine,
            actor,
            action_id=action["B2"],
            expected_version=versions["B2"],
            opened=None,
            status="en_cours",
            progress=40,
        ),
        "suivi, action d'une autre organisation": lambda: update_followup(
            engine,
            actor,
            action_id=action["B1"],
            expected_version=versions["B1"],
            opened=None,
            status="en_cours",
            progress=40,
        ),
        "activité, équipement géré": lambda: activity.upsert_activity(
            engine, actor, facility_id=facility["FA"], year=2024, places=20
        ),
        "activité, autre équipement": lambda: activity.upsert_activity(
            engine, actor, facility_id=facility["FB"], year=2024, places=20
        ),
        "financements": lambda: funding.update_funding(
            engine,
            actor,
            funding_line_id=line.id,
            expected_version=line.version,
            opened=None,
            planned=Decimal("120.00"),
            notified=None,
            paid=None,
        ),
        "valider une mesure": lambda: measurements.validate_measurement(engine, actor, measurement_id=measurement.id),
    }
    return calls[operation]()


SERVICE_OPERATIONS = [
    "mesure, action pilotée",
    "mesure, action d'une autre organisation",
    "écrire dans la convention réservée",
    "suivi, action partenaire",
    "suivi, action d'une autre organisation",
    "activité, équipement géré",
    "activité, autre équipement",
    "financements",
    "valider une mesure",
]


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("operation", SERVICE_OPERATIONS)
def test_the_write_services_apply_the_matrix(world, operation, role):
    engine, ids = world
    actor = ids["actor"][role]
    if role in MATRIX[operation]:
        service_call(engine, ids, operation, actor)
    else:
        with pytest.raises(PermissionDenied):
            service_call(engine, ids, operation, actor)
