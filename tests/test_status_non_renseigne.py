"""An empty `statut` is `non_renseigne`: imported as such, offered by the forms, counted and shown
« Non renseigné », and — without an avancement — given no progress, so left out of every roll-up.
Figures are computed by hand from docs/rules.md."""

from datetime import date

import pytest
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.interchange import load_folder
from ctg_data.queries.filters import Filters
from ctg_data.queries.overview import action_status_counts, status_counts, steering_summary
from ctg_data.rules.actions import action_progress, is_unreported, rollup
from ctg_data.validation import followup_input
from ctg_data.vocabulary import ActionStatus
from tests.csv_folder import write_folder

TODAY = date(2025, 6, 1)
CONVENTION = "ctg-tarn"


def actions(*rows: dict) -> list[dict]:
    base = {"convention": CONVENTION, "domaine": "sante", "pilote": "cc"}
    return [base | row for row in rows]


def folder(action_rows: list[dict]) -> dict[str, list[dict]]:
    return {
        "organisations": [{"code": "cc", "nom": "Communauté de communes", "type": "epci"}],
        "conventions": [{"code": CONVENTION, "nom": "CTG du Tarn", "date_debut": "2023", "date_fin": "2026"}],
        "actions": action_rows,
    }


def load(engine, path, sheets):
    return load_folder(write_folder(path, sheets), actor="test", engine=engine)


def statuses(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {a.code: a.status for a in session.exec(select(m.Action))}


# ------------------------------------------------------------------ the rule


def test_a_non_renseignee_action_has_no_progress_unless_an_avancement_is_given():
    assert action_progress("non_renseigne", None) is None
    assert action_progress("non_renseigne", 35) == 35
    assert is_unreported("non_renseigne", None) and not is_unreported("non_renseigne", 35)
    assert not is_unreported("a_venir", None)  # à venir is 0 %, a stated fact


def test_the_roll_up_leaves_unreported_actions_out():
    # (60 × 1 + 20 × 3) / (1 + 3) = 30; the non renseignée (poids 5) weighs nothing.
    triples = [("en_cours", 60, 1), ("non_renseigne", 20, 3), ("non_renseigne", None, 5)]
    assert rollup(triples) == pytest.approx(30.0)
    assert rollup([("non_renseigne", None, 1)]) is None  # nothing to count: "—", never 0 %


# ------------------------------------------------------------------ import


def test_an_empty_statut_imports_as_non_renseigne_and_an_absent_column_too(engine, tmp_path):
    rows = actions(
        {"code": "S1", "intitule": "Maison de santé", "statut": ""},
        {"code": "S2", "intitule": "Prévention", "statut": "en_cours"},
    )
    report = load(engine, tmp_path / "a", folder(rows))
    assert report.ok, report.errors
    assert statuses(engine) == {"S1": "non_renseigne", "S2": "en_cours"}

    without_column = actions({"code": "S3", "intitule": "Aidants"})  # no `statut` column at all
    report = load(engine, tmp_path / "b", {"actions": without_column})
    assert report.ok, report.errors
    assert statuses(engine)["S3"] == "non_renseigne"


def test_an_absent_statut_column_leaves_a_stored_status_as_it_is(engine, tmp_path):
    assert load(engine, tmp_path / "a", folder(actions({"code": "S1", "intitule": "Santé", "statut": "en_cours"}))).ok
    report = load(engine, tmp_path / "b", {"actions": actions({"code": "S1", "intitule": "Santé"})})
    assert report.ok and not report.changed
    assert statuses(engine)["S1"] == "en_cours"
    # An empty cell, though, says « non renseigné ».
    report = load(engine, tmp_path / "c", {"actions": actions({"code": "S1", "intitule": "Santé", "statut": ""})})
    assert report.counts["actions"]["updated"] == 1
    assert statuses(engine)["S1"] == "non_renseigne"


# ------------------------------------------------------------------ forms and views


def test_the_follow_up_form_offers_non_renseigne():
    assert ActionStatus.labels()["non_renseigne"] == "Non renseigné"
    assert followup_input(status="non_renseigne", progress=None).status == "non_renseigne"


def test_the_domain_roll_up_and_counts_leave_unreported_actions_out(engine, tmp_path):
    rows = actions(
        {"code": "S1", "intitule": "A", "statut": "", "avancement": "", "poids": "4"},  # out of the roll-up
        {"code": "S2", "intitule": "B", "statut": "en_cours", "avancement": "40", "poids": ""},
        {"code": "S3", "intitule": "C", "statut": "", "avancement": "10", "poids": ""},  # counts, at 10 %
    )
    assert load(engine, tmp_path / "a", folder(rows)).ok
    with Session(engine) as session:
        convention_id = session.exec(select(m.Convention.id)).one()
    summary = steering_summary(engine, Filters(convention_id=convention_id), TODAY)
    sante = summary["domains"].set_index("domain_code").loc["sante"]  # used by the convention: listed
    assert sante["progress"] == pytest.approx((40 + 10) / 2)
    assert sante["actions"] == 3 and sante["unreported"] == 1
    counts = status_counts(summary["actions"])
    assert counts[ActionStatus.NON_RENSEIGNE] == 2 and counts[ActionStatus.EN_COURS] == 1
    assert action_status_counts(summary["actions"])["Non renseigné"] == 2
