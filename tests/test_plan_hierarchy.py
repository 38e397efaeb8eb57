"""A plan organised as enjeux → objectifs → fiches (as the Maine-et-Loire CTG publishes it):
orientations nest through `parent` (three levels at most, never a cycle), in the import, the
Référentiels form and the export alike, and progress rolls up through every level.

Every expected figure is computed here by hand from docs/rules.md, never read from the code.
"""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import ValidationError
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.queries.actions import plan_frame
from ctg_data.queries.filters import Filters
from ctg_data.rules.actions import tree_rollup
from ctg_data.rules.plan import orientation_problem, parents_first
from ctg_data.services import referentials as ref
from tests.csv_folder import write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
TODAY = date(2025, 6, 1)
CONVENTION = "ctg-49"


def orientation(code: str, parent: str = "", title: str = "", domain: str = "") -> dict:
    return {"convention": CONVENTION, "code": code, "parent": parent, "domaine": domain, "intitule": title or code}


def action(code: str, orientation: str, domain: str, status: str, avancement: str = "", poids: str = "1") -> dict:
    return {
        "convention": CONVENTION,
        "code": code,
        "intitule": f"Fiche {code}",
        "domaine": domain,
        "orientation": orientation,
        "pilote": "mauges",
        "statut": status,
        "avancement": avancement,
        "poids": poids,
        "date_debut": "2024-01-01",
        "date_fin": "2027-12-31",
    }


def maine_et_loire() -> dict[str, list[dict]]:
    """Two enjeux, their objectifs, one sous-objectif; every child BEFORE its parent in the file."""
    return {
        "organisations": [
            {"code": "caf49", "nom": "CAF de Maine-et-Loire", "type": "caf"},
            {"code": "mauges", "nom": "Mauges Communauté", "type": "epci"},
        ],
        "communes": [{"code_insee": "49301", "nom": "Sèvremoine"}],
        "conventions": [
            {"code": CONVENTION, "nom": "CTG Mauges", "date_debut": "2023-01-01", "date_fin": "2027-12-31"}
        ],
        "signataires": [{"convention": CONVENTION, "organisation": "caf49"}],
        "perimetre": [{"convention": CONVENTION, "code_insee": "49301"}],
        "orientations": [
            orientation("S1.1.1", "O1.1", "Assistants maternels"),
            orientation("O1.1", "E1", "Développer l'accueil du jeune enfant", "petite_enfance"),
            orientation("O1.2", "E1", "Soutenir la parentalité", "parentalite"),
            orientation("E1", "", "Accompagner les familles"),  # an enjeu spans domains: none
            orientation("O2.1", "E2", "Favoriser l'accès aux droits"),
            orientation("E2", "", "Accès aux droits et inclusion", "acces_aux_droits"),
        ],
        "actions": [
            action("F1", "O1.1", "petite_enfance", "en_cours", "40", "2"),
            action("F2", "O1.1", "petite_enfance", "realisee"),
            action("F3", "O1.2", "parentalite", "a_venir"),
            action("F4", "O2.1", "acces_aux_droits", "abandonnee", "90", "5"),
            action("F5", "O2.1", "acces_aux_droits", "en_pause", "", "3"),
            action("F6", "S1.1.1", "petite_enfance", ""),  # statut empty: non renseigné
            action("F7", "E2", "sante", "en_cours", "70"),
            action("F8", "", "petite_enfance", "", "20"),  # non renseigné, but an avancement is given
        ],
    }


def load(engine, folder, sheets, actor="test"):
    return load_folder(write_folder(folder, sheets), actor=actor, engine=engine)


def stored_parents(engine) -> dict[str, str | None]:
    with Session(engine) as session:
        rows = session.exec(select(m.Orientation)).all()
        codes = {o.id: o.code for o in rows}
        return {o.code: codes.get(o.parent_id) for o in rows}


def convention_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(m.Convention.id).where(m.Convention.code == CONVENTION)).one()


# ------------------------------------------------------------------ the pure rules


PLAN = {"E1": None, "O1": "E1", "S1": "O1"}


def test_three_levels_are_a_plan_and_a_fourth_is_refused():
    assert all(orientation_problem(code, PLAN) is None for code in PLAN)
    problem = orientation_problem("T1", PLAN | {"T1": "S1"})
    assert problem is not None and "plus de trois niveaux" in problem and "E1 → O1 → S1 → T1" in problem
    # Checked from above (an import's rows), only the row that goes too deep is refused.
    assert orientation_problem("O1", PLAN | {"T1": "S1"}, with_descendants=False) is None


def test_moving_an_orientation_with_its_children_counts_their_levels_too():
    # E2 → E1 would put S1 at the fourth level: E1's own move is refused.
    problem = orientation_problem("E1", PLAN | {"E2": None, "E1": "E2"})
    assert problem is not None and "plus de trois niveaux" in problem


def test_an_orientation_may_not_be_its_own_parent_nor_descend_from_itself():
    assert orientation_problem("A", {"A": "A"}) == "une orientation ne peut pas être son propre parent"
    cycle = orientation_problem("A", {"A": "B", "B": "A"})
    assert cycle is not None and "cycle" in cycle and "A → B → A" in cycle


def test_parents_come_first_whatever_the_given_order():
    ordered = parents_first(["S1", "O1", "O2", "E1"], {"S1": "O1", "O1": "E1", "O2": "E1", "E1": None})
    assert ordered.index("E1") < ordered.index("O1") < ordered.index("S1")
    assert ordered.index("E1") < ordered.index("O2")


def test_a_node_rolls_up_every_action_of_its_subtree_weighted():
    parents = {"E": None, "O1": "E", "O2": "E"}
    actions = [
        ("O1", ("en_cours", 40, Decimal(2))),  # 40 × 2
        ("O1", ("realisee", None, Decimal(1))),  # 100 × 1
        ("O2", ("a_venir", None, Decimal(1))),  # 0 × 1
        ("O2", ("abandonnee", 90, Decimal(5))),  # left out
        ("O2", ("non_renseigne", None, Decimal(1))),  # left out: no progress
    ]
    figures = tree_rollup(parents, actions)
    assert figures["O1"] == pytest.approx((80 + 100) / 3)
    assert figures["O2"] == pytest.approx(0.0)
    # The enjeu weighs the actions, not its objectifs' figures: (80 + 100 + 0) / 4, not (60 + 0) / 2.
    assert figures["E"] == pytest.approx(180 / 4)


def test_a_node_without_an_action_that_counts_has_no_figure():
    figures = tree_rollup({"E": None, "O": "E"}, [("O", ("non_renseigne", None, Decimal(1)))])
    assert figures == {"E": None, "O": None}


# ------------------------------------------------------------------ import


def test_a_plan_with_children_before_their_parents_imports(engine, tmp_path):
    report = load(engine, tmp_path / "f", maine_et_loire())
    assert report.ok, report.errors
    assert report.counts["orientations"]["created"] == 6
    assert stored_parents(engine) == {
        "E1": None,
        "O1.1": "E1",
        "O1.2": "E1",
        "S1.1.1": "O1.1",
        "E2": None,
        "O2.1": "E2",
    }
    with Session(engine) as session:
        e1 = session.exec(select(m.Orientation).where(m.Orientation.code == "E1")).one()
        assert e1.domain_code is None  # optional on an orientation
    again = load(engine, tmp_path / "g", maine_et_loire())
    assert again.ok and not again.changed


def errors_of(report) -> list[tuple[str, int, str | None, str]]:
    return [(e.where, e.line, e.column, e.message) for e in report.errors]


def test_a_fourth_level_is_refused_with_its_line_and_column(engine, tmp_path):
    sheets = maine_et_loire()
    sheets["orientations"].append(orientation("T1", "S1.1.1", "Quatrième niveau"))  # line 8 (header is 1)
    report = load(engine, tmp_path / "f", sheets)
    assert not report.ok
    [(sheet, line, column, message)] = errors_of(report)
    assert (sheet, line, column) == ("fichier orientations.csv", 8, "parent")
    assert "plus de trois niveaux" in message and "E1 → O1.1 → S1.1.1 → T1" in message
    with Session(engine) as session:
        assert session.exec(select(m.Orientation)).all() == []  # nothing written


def test_a_cycle_and_a_self_parent_are_refused(engine, tmp_path):
    sheets = maine_et_loire()
    sheets["orientations"] += [orientation("A", "B"), orientation("B", "A"), orientation("X", "X")]
    report = load(engine, tmp_path / "f", sheets)
    found = {(line, column): message for _, line, column, message in errors_of(report)}
    assert set(found) == {(8, "parent"), (9, "parent"), (10, "parent")}, found
    assert "cycle" in found[(8, "parent")] and "cycle" in found[(9, "parent")]
    assert found[(10, "parent")] == "une orientation ne peut pas être son propre parent"


def test_moving_a_stored_branch_under_another_beyond_three_levels_is_refused(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    # E1 under O2.1: S1.1.1 would sit at the fifth level. Only E1's row is in the file.
    report = load(engine, tmp_path / "b", {"orientations": [orientation("E1", "O2.1", "Accompagner les familles")]})
    [(_, line, column, message)] = errors_of(report)
    assert (line, column) == (2, "parent") and "plus de trois niveaux" in message
    assert stored_parents(engine)["E1"] is None


def test_a_version_one_file_without_parent_keeps_the_stored_parents(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    v1 = {"orientations": [{"convention": CONVENTION, "code": "O1.1", "domaine": "petite_enfance", "intitule": "X"}]}
    assert load(engine, tmp_path / "b", v1).ok
    assert stored_parents(engine)["O1.1"] == "E1"


# ------------------------------------------------------------------ export


def as_cells(sheet: str, rows) -> list[dict]:
    def cell(value) -> str:
        return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)

    return [dict(zip(SHEETS_BY_NAME[sheet].column_names, map(cell, row), strict=True)) for row in rows]


def test_the_export_writes_parents_before_children_and_imports_back_unchanged(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    with Session(engine) as session:
        exported = export_rows(session, convention_code=CONVENTION)
    rows = as_cells("orientations", exported["orientations"])
    order = [row["code"] for row in rows]
    assert order == ["E1", "O1.1", "S1.1.1", "O1.2", "E2", "O2.1"]  # each parent first, siblings by code
    assert {row["code"]: row["parent"] for row in rows}["S1.1.1"] == "O1.1"
    back = load(engine, tmp_path / "b", {"orientations": rows})
    assert back.ok and not back.changed


# ------------------------------------------------------------------ the Référentiels form


def form_values(code: str, parent: str | None) -> dict:
    return {"code": code, "parent": parent, "domaine": None, "intitule": f"Orientation {code}"}


def test_the_form_offers_the_parent_and_checks_the_same_rule(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    convention = convention_id(engine)
    assert "parent" in [column.name for column in ref.ORIENTATIONS.columns]
    assert "E1" in ref.form_choices(engine, convention)["orientation"]

    created = ref.create(engine, ADMIN, "orientations", convention_id=convention, values=form_values("S1.2.1", "O1.2"))
    assert stored_parents(engine)["S1.2.1"] == "O1.2"

    with pytest.raises(ValidationError) as deep:
        ref.create(engine, ADMIN, "orientations", convention_id=convention, values=form_values("T", "S1.1.1"))
    assert "plus de trois niveaux" in deep.value.errors["Orientation parente"]

    opened = ref.open_record(engine, "orientations", created)
    with pytest.raises(ValidationError) as own:
        ref.update(
            engine,
            ADMIN,
            "orientations",
            created,
            expected_version=opened.version,
            opened=opened.values,
            values={"parent": "S1.2.1"},
        )
    assert own.value.errors["Orientation parente"] == "une orientation ne peut pas être son propre parent"

    with Session(engine) as session:
        e1 = session.exec(select(m.Orientation).where(col(m.Orientation.code) == "E1")).one()
    e1_opened = ref.open_record(engine, "orientations", e1.id)
    with pytest.raises(ValidationError) as cycle:
        ref.update(
            engine,
            ADMIN,
            "orientations",
            e1.id,
            expected_version=e1_opened.version,
            opened=e1_opened.values,
            values={"parent": "O1.2"},
        )
    assert "cycle" in cycle.value.errors["Orientation parente"]
    assert stored_parents(engine)["E1"] is None


# ------------------------------------------------------------------ the hierarchy view's figures


def test_the_plan_frame_rolls_up_through_every_level(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    frame = plan_frame(engine, Filters(convention_id=convention_id(engine)), TODAY)
    nodes = frame[frame["kind"] != "action"].set_index("title")
    by_code = frame[frame["kind"] == "orientation"].set_index("code")

    # By hand (p·poids): F1 40×2, F2 100×1, F3 0×1, F4 abandonnée (out), F5 50×3, F6 non
    # renseigné (out), F7 70×1, F8 non renseigné with avancement 20×1.
    assert pd.isna(by_code.loc["S1.1.1", "progress"]) and by_code.loc["S1.1.1", "unreported"] == 1  # "—"
    assert by_code.loc["O1.1", "progress"] == pytest.approx((80 + 100) / 3)
    assert by_code.loc["O1.2", "progress"] == pytest.approx(0.0)
    assert by_code.loc["E1", "progress"] == pytest.approx((80 + 100 + 0) / 4)
    assert by_code.loc["O2.1", "progress"] == pytest.approx(150 / 3)
    assert by_code.loc["E2", "progress"] == pytest.approx((150 + 70) / 4)
    assert nodes.loc["Actions hors orientation", "progress"] == pytest.approx(20.0)
    assert by_code.loc["E1", "actions"] == 4 and by_code.loc["E1", "unreported"] == 1
    assert list(by_code["level"]) == [1, 2, 3, 2, 1, 2]  # E1, O1.1, S1.1.1, O1.2, E2, O2.1

    # Reading order: each orientation, then its fiches, then its children.
    order = list(frame["code"])
    assert order[:5] == ["E1", "O1.1", "F1", "F2", "S1.1.1"]
    assert frame.set_index("code").loc["F1", "level"] == 3  # below an objectif (level 2)


def test_a_domain_filter_keeps_the_branches_holding_its_actions(engine, tmp_path):
    assert load(engine, tmp_path / "a", maine_et_loire()).ok
    frame = plan_frame(engine, Filters(convention_id=convention_id(engine), domain_code="sante"), TODAY)
    assert list(frame["code"]) == ["E2", "F7"]  # O2.1 has no santé action and is of no domain
    assert frame.set_index("code").loc["E2", "progress"] == pytest.approx(70.0)
