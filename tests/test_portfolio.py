"""The portfolio (Portefeuille): every convention an advisor or an administrator sees, with the
figures of each recomputed here by hand from the data the test writes (docs/rules.md: progress,
expected progress, lateness, indicator statuses), on SQLite and PostgreSQL; visibility, filters,
a constant number of statements, and the page through AppTest."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.db import make_engine
from ctg_data.queries import portfolio as q
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import steering_summary
from ctg_data.reports.funding import year_clock
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)  # the bonus years up to 2025 are over (declaration by 31 March of the next)
NOW = datetime(2026, 11, 1, 12, 0)


def days(start: date, end: date) -> int:
    return (end - start).days


# Expected progress of the actions of convention A (docs/rules.md): a share of the elapsed time.
A_START, A_END = date(2023, 1, 1), date(2026, 12, 31)
E2 = 100 * days(A_START, TODAY) / days(A_START, A_END)  # a2, no dates: the convention's
E5 = 100 * days(date(2026, 6, 1), TODAY) / days(date(2026, 6, 1), date(2026, 12, 1))
# Petite enfance: a1 (poids 2, avancement 40, ended: expected 100) and a2 (réalisée, 100).
PE_PROGRESS, PE_EXPECTED = (2 * 40 + 100) / 3, (2 * 100 + E2) / 3
# Jeunesse: a4 non renseignée without avancement (left out), a5 à venir (0 %).
J_PROGRESS, J_EXPECTED = 0.0, E5
A_PROGRESS, A_EXPECTED = (2 * 40 + 100 + 0) / 4, (2 * 100 + E2 + E5) / 4
# B: one action en pause at 70 % from 2024-01-01 to 2027-12-31: not behind (about 73 % expected).
B_EXPECTED = 100 * days(date(2024, 1, 1), TODAY) / days(date(2024, 1, 1), date(2027, 12, 31))


def build(engine, conventions: int = 0) -> dict[str, int]:
    """Conventions A (65), B (31) and C (65, restricted), two advisors, a partner and a lecteur;
    `conventions` more copies of B make the base grow (statement counts)."""
    with Session(engine) as s:
        for insee in ("65286", "31555"):
            s.add(m.Commune(insee_code=insee, name=f"Commune {insee}"))
        caf = m.Organisation(code="caf", name="CAF", type="caf")
        partner_org = m.Organisation(code="asso", name="Association", type="association")
        s.add_all([caf, partner_org])
        s.flush()
        a = convention(s, "ctg-a", "CTG Alpha", "65", A_START, A_END)
        b = convention(s, "ctg-b", "CTG Bêta", "31", date(2024, 1, 1), date(2027, 12, 31))
        c = convention(s, "ctg-c", "CTG Gamma", "65", date(2022, 1, 1), date(2025, 12, 31), restricted=True)
        pe, j = "petite_enfance", "jeunesse"
        action(s, a, "a1", pe, caf, "en_cours", progress=40, weight=2, starts=A_START, ends=date(2024, 12, 31))
        action(s, a, "a2", pe, caf, "realisee")
        action(s, a, "a3", pe, caf, "abandonnee", ends=date(2024, 1, 31))
        action(s, a, "a4", j, caf, "non_renseigne", ends=date(2025, 6, 30))
        action(s, a, "a5", j, caf, "a_venir", starts=date(2026, 6, 1), ends=date(2026, 12, 1))
        action(s, a, "a6", j, caf, "en_cours", ends=date(2024, 1, 1), deleted=True)  # deleted: never counted
        for copy in [
            b,
            *(
                convention(s, f"ctg-b{n}", f"CTG B{n}", "31", date(2024, 1, 1), date(2027, 12, 31))
                for n in range(conventions)
            ),
        ]:
            action(
                s,
                copy,
                "b1",
                pe,
                partner_org,
                "en_pause",
                progress=70,
                starts=date(2024, 1, 1),
                ends=date(2027, 12, 31),
            )
            indicator(s, copy, "i5", 0, date(2024, 1, 1), 100, date(2027, 12, 31), [(date(2026, 10, 31), 80)])
            funding(s, copy, caf, 2025, "300", "300")
        action(s, c, "c1", pe, caf, "realisee")
        # A's indicators: atteint, incomplet, à renseigner, décroché.
        i1 = indicator(s, a, "i1", 10, date(2022, 12, 31), 20, A_END, [(date(2026, 6, 30), 20)])
        s.add(
            m.Measurement(indicator_id=i1, measured_on=date(2026, 9, 30), value=0, recorded_by="t", superseded_at=NOW)
        )
        s.add(
            m.Measurement(indicator_id=i1, measured_on=date(2026, 10, 31), value=0, insee_code="65286", recorded_by="t")
        )
        indicator(s, a, "i2", 10, date(2022, 12, 31), None, None, [(date(2026, 6, 30), 12)])
        indicator(s, a, "i3", 10, date(2022, 12, 31), 20, A_END, [])
        indicator(s, a, "i4", 0, A_START, 100, A_END, [(date(2026, 9, 30), 10)])
        # A's bonus: 2024 is over (200 € notified not paid); 2026 is not; another lever is left out.
        funding(s, a, caf, 2024, "1000", "800")
        funding(s, a, caf, 2026, "500", "0")
        funding(s, a, caf, 2024, "9999", "0", lever="subvention")
        meeting = m.Meeting(convention_id=a, kind="copil", held_on=date(2026, 6, 1))
        s.add(meeting)
        s.flush()
        for due, status in ((date(2026, 10, 1), "a_faire"), (date(2026, 1, 1), "fait"), (date(2027, 1, 1), "a_faire")):
            s.add(m.Decision(meeting_id=meeting.id, text="Décision", due_on=due, status=status))
        users = {
            "advisor1": user(s, "conseillere1@test.ctg", "conseiller", "Anne Conseil"),
            "advisor2": user(s, "conseiller2@test.ctg", "conseiller", "Bruno Conseil"),
            "partner": user(s, "partenaire@test.ctg", "partenaire", None, partner_org.id),
            "lecteur": user(s, "lecteur@test.ctg", "lecteur", None),
        }
        for convention_id, who in ((a, "advisor1"), (c, "advisor1"), (b, "advisor2"), (a, "lecteur")):
            s.add(m.ConventionMember(convention_id=convention_id, user_id=users[who]))
        s.commit()
        return {"a": a, "b": b, "c": c, "partner_org": partner_org.id, **users}


def convention(s, code, name, department, starts, ends, restricted=False) -> int:
    row = m.Convention(
        code=code, name=name, department=department, starts_on=starts, ends_on=ends, restricted=restricted
    )
    s.add(row)
    s.flush()
    return row.id


def action(s, convention_id, code, domain, pilot, status, *, weight=1, starts=None, ends=None, deleted=False, **more):
    deleted_at = NOW if deleted else None
    s.add(m.Action(convention_id=convention_id, code=code, title=f"Action {code}", domain_code=domain,
                   pilot_id=pilot.id, status=status, weight=Decimal(weight), starts_on=starts, ends_on=ends,
                   deleted_at=deleted_at, **more))  # fmt: skip


def indicator(s, convention_id, code, baseline, baseline_on, target, target_on, values) -> int:
    row = m.Indicator(convention_id=convention_id, code=code, name=f"Indicateur {code}", domain_code="petite_enfance",
                      unit="u", direction="hausse", baseline_value=baseline, baseline_date=baseline_on,
                      target_value=target, target_date=target_on, frequency="annuelle")  # fmt: skip
    s.add(row)
    s.flush()
    for measured_on, value in values:
        s.add(m.Measurement(indicator_id=row.id, measured_on=measured_on, value=value, recorded_by="t"))
    return row.id


def funding(s, convention_id, caf, year, notified, paid, lever="bonus_territoire") -> None:
    s.add(m.FundingLine(convention_id=convention_id, lever_code=lever, year=year, funder_id=caf.id,
                        beneficiary_id=caf.id, notified=Decimal(notified), paid=Decimal(paid)))  # fmt: skip


def user(s, email, role, name, organisation_id=None) -> int:
    row = m.User(email=email, role=role, display_name=name, organisation_id=organisation_id)
    s.add(row)
    s.flush()
    return row.id


def actor(ids, who: str, role: Role) -> Actor:
    return Actor(
        email=who,
        role=role,
        user_id=ids[who],
        organisation_id=ids.get("partner_org") if role == Role.PARTENAIRE else None,
    )


ADMIN = Actor(email="admin@test.ctg", role=Role.ADMIN)


def run(engine, who: Actor = ADMIN):
    return q.portfolio(engine, who, TODAY, year_clock(TODAY))


def by_code(found) -> dict:
    return {row["code"]: row for row in found["conventions"].to_dict("records")}


# ------------------------------------------------------------------ figures


def test_each_convention_has_its_period_progress_lateness_indicators_bonus_and_alerts(engine):
    ids = build(engine)
    found = run(engine)
    rows = by_code(found)
    assert list(rows) == ["ctg-a", "ctg-b", "ctg-c"]
    a = rows["ctg-a"]
    assert (a["name"], a["department"], a["starts_on"], a["ends_on"]) == ("CTG Alpha", "65", A_START, A_END)
    assert a["actions"] == 5  # a6 is deleted
    assert a["progress"] == pytest.approx(A_PROGRESS)
    assert a["expected"] == pytest.approx(A_EXPECTED)
    assert a["behind"] == (A_EXPECTED - A_PROGRESS > 15)
    assert a["late"] == 2  # a1 (ended 2024, en cours) and a4 (non renseignée, ended 2025)
    assert (a["status_atteint"], a["status_incomplet"], a["status_a_renseigner"], a["status_decroche"]) == (1, 1, 1, 1)
    assert a["indicators"] == 4
    assert (a["bonus_notified"], a["bonus_paid"], a["bonus_unpaid"]) == (
        Decimal("1500"),
        Decimal("800"),
        Decimal("200"),
    )
    assert a["overdue_decisions"] == 1
    assert a["advisors"] == ["Anne Conseil"]  # the lecteur member is no advisor
    b = rows["ctg-b"]
    assert (b["progress"], b["late"], b["status_en_bonne_voie"], b["behind"]) == (70, 0, 1, False)
    assert b["expected"] == pytest.approx(B_EXPECTED)
    assert (b["bonus_notified"], b["bonus_paid"], b["bonus_unpaid"]) == (Decimal("300"), Decimal("300"), Decimal("0"))
    assert b["alerts"] == [] and b["advisors"] == ["Bruno Conseil"]
    assert (
        rows["ctg-c"]["progress"] == 100
        and rows["ctg-c"]["indicators"] == 0
        and rows["ctg-c"]["bonus_notified"] is None
    )

    domains = found["domains"]
    a_domains = {row["domain_code"]: row for row in domains[domains["convention_id"] == ids["a"]].to_dict("records")}
    assert a_domains["petite_enfance"]["progress"] == pytest.approx(PE_PROGRESS)
    assert a_domains["petite_enfance"]["expected"] == pytest.approx(PE_EXPECTED)
    assert a_domains["jeunesse"]["progress"] == J_PROGRESS
    assert a_domains["jeunesse"]["expected"] == pytest.approx(J_EXPECTED)
    assert a_domains["jeunesse"]["behind"] and a_domains["petite_enfance"]["behind"] == (PE_EXPECTED - PE_PROGRESS > 15)
    behind = [
        label
        for code, label in (("petite_enfance", "Petite enfance"), ("jeunesse", "Jeunesse"))
        if a_domains[code]["behind"]
    ]
    assert a["domains_behind"] == len(behind)
    assert a["alerts"] == [
        f"{behind[0]} en retard sur le calendrier"
        if len(behind) == 1
        else f"{len(behind)} domaines en retard sur le calendrier",
        "2 actions en retard",
        "1 indicateur décroché",
        "1 décision échue non faite",
        "Bonus : 200,00\u00a0€ notifiés non versés",
    ]


def test_the_domains_agree_with_the_steering_summary_of_each_convention(engine):
    ids = build(engine)
    domains = run(engine)["domains"]
    for key in ("a", "b", "c"):
        summary = steering_summary(engine, Filters(convention_id=ids[key]), TODAY)["domains"]
        summary = summary[summary["actions"] > 0].set_index("domain_code")
        mine = domains[domains["convention_id"] == ids[key]].set_index("domain_code")
        assert sorted(mine.index) == sorted(summary.index)
        for code in mine.index:
            assert mine.loc[code, "progress"] == pytest.approx(summary.loc[code, "progress"])
            assert mine.loc[code, "expected"] == pytest.approx(summary.loc[code, "expected"])
            assert bool(mine.loc[code, "behind"]) == bool(summary.loc[code, "behind"])


# ------------------------------------------------------------------ visibility and filters


def test_an_advisor_sees_the_open_conventions_and_the_restricted_ones_they_belong_to(engine):
    ids = build(engine)
    assert list(by_code(run(engine, actor(ids, "advisor1", Role.CONSEILLER)))) == ["ctg-a", "ctg-b", "ctg-c"]
    assert list(by_code(run(engine, actor(ids, "advisor2", Role.CONSEILLER)))) == ["ctg-a", "ctg-b"]
    # A partner would see only the conventions its organisation takes part in (the page refuses it anyway).
    assert list(by_code(run(engine, actor(ids, "partner", Role.PARTENAIRE)))) == ["ctg-b"]


def test_filters_by_departement_and_by_advisor(engine):
    ids = build(engine)
    rows = run(engine)["conventions"]
    assert q.department_choices(rows) == ["31", "65"]
    assert q.advisor_choices(rows) == {ids["advisor1"]: "Anne Conseil", ids["advisor2"]: "Bruno Conseil"}
    assert list(q.filtered(rows, "65", None)["code"]) == ["ctg-a", "ctg-c"]
    assert list(q.filtered(rows, None, ids["advisor2"])["code"]) == ["ctg-b"]
    assert list(q.filtered(rows, "65", ids["advisor1"])["code"]) == ["ctg-a", "ctg-c"]
    assert q.filtered(rows, "31", ids["advisor1"]).empty


def statements(engine) -> int:
    count = 0

    def one(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", one)
    try:
        run(engine)
    finally:
        event.remove(engine, "before_cursor_execute", one)
    return count


def test_the_number_of_statements_does_not_grow_with_the_conventions(engine):
    build(engine)
    few = statements(engine)
    with Session(engine) as s:
        caf = s.get(m.Organisation, 1)
        for n in range(10):
            copy = convention(s, f"ctg-x{n}", f"CTG X{n}", "31", date(2024, 1, 1), date(2027, 12, 31))
            action(s, copy, "x1", "jeunesse", caf, "en_cours", ends=date(2025, 1, 1))
            indicator(s, copy, "x1", 0, date(2024, 1, 1), 10, date(2027, 1, 1), [(date(2026, 1, 1), 5)])
            funding(s, copy, caf, 2024, "10", "5")
        s.commit()
    assert len(run(engine)["conventions"]) == 13
    assert statements(engine) == few


# ------------------------------------------------------------------ the page


@pytest.fixture
def app_database(sqlite_url, monkeypatch):
    import streamlit as st

    from ctg_data.db import engine_for

    monkeypatch.setenv("CTG_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())
    engine_for.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = make_engine(sqlite_url)
    ids = build(engine)
    engine.dispose()
    yield ids
    engine_for.cache_clear()


def page(who: Actor, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "portefeuille.py"), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    return sign_in(at, who).run()


def test_the_page_lists_the_conventions_with_a_link_to_each(app_database):
    at = page(actor(app_database, "advisor1", Role.CONSEILLER))
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["Convention"]) == ["CTG Alpha", "CTG Bêta", "CTG Gamma"]
    assert list(table["Lien"]) == [f"vue_ensemble?convention={c}" for c in ("ctg-a", "ctg-b", "ctg-c")]
    alpha = table.iloc[0]
    assert alpha["Bonus notifié"] == "1\u202f500,00\u00a0€" and alpha["Bonus versé"] == "800,00\u00a0€"
    assert alpha["Période"] == "01/01/2023 – 31/12/2026"
    assert alpha["En retard"] == 2 and alpha["Avancement"] == f"{round(A_PROGRESS)}\u202f% / {round(A_EXPECTED)}\u202f%"
    assert "2 actions en retard" in alpha["Alertes"]
    assert table.iloc[1]["Alertes"] == "Aucune"
    assert at.markdown[0].value.startswith("**3** conventions · ")


def test_the_page_filters_by_departement_and_advisor_from_the_link(app_database):
    at = page(ADMIN, departement="65", conseiller=str(app_database["advisor1"]))
    assert list(at.dataframe[0].value["Convention"]) == ["CTG Alpha", "CTG Gamma"]
    at = page(ADMIN, conseiller=str(app_database["advisor2"]))
    assert list(at.dataframe[0].value["Convention"]) == ["CTG Bêta"]


@pytest.mark.parametrize(
    ("who", "role", "label"),
    [
        ("partner", Role.PARTENAIRE, "partenaire (saisie pour son organisation)"),
        ("lecteur", Role.LECTEUR, "lecteur (comité de pilotage)"),
    ],
)
def test_a_partner_or_a_lecteur_is_refused_in_french(app_database, who, role, label):
    at = page(actor(app_database, who, role))
    assert not at.dataframe
    assert [e.value.replace("\\", "") for e in at.error] == [f"Cette page n'est pas ouverte à votre rôle ({label})."]


def test_the_page_shows_progress_against_schedule_by_domain(app_database):
    at = page(ADMIN, vue="domaines")
    assert not at.exception and not at.error
    table = at.dataframe[0].value.set_index("Convention")
    assert list(table.index) == ["CTG Alpha", "CTG Bêta", "CTG Gamma"]
    pe = f"{round(PE_PROGRESS)}\u202f% / {round(PE_EXPECTED)}\u202f%" + (" ⚠" if PE_EXPECTED - PE_PROGRESS > 15 else "")
    assert table.loc["CTG Alpha", "Petite enfance"] == pe
    assert table.loc["CTG Alpha", "Jeunesse"] == f"0\u202f% / {round(J_EXPECTED)}\u202f% ⚠"
    assert pd.isna(table.loc["CTG Bêta", "Jeunesse"])  # no action of that domain
