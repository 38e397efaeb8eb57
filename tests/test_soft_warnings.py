"""Soft warnings (issue 13): a value ten times the previous one, or a tenth of it, is not refused
outright but asked to be confirmed, with the same French words from the form, the bulk grid and
the import, on both databases. The form confirms with « Je confirme cette valeur », the import
with a `motif_derogation`; the history keeps the confirmation as the change's reason."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import ValidationError
from ctg_data.interchange import load_folder
from ctg_data.interchange.export import export_rows
from ctg_data.interchange.importer import import_upload
from ctg_data.interchange.sheets import SHEETS_BY_NAME
from ctg_data.services.activity import upsert_activity
from ctg_data.services.measurements import GridRow, record_measurement, validate_grid
from tests.csv_folder import minimal_convention, write_folder
from tests.test_plausibility import ADVISOR, NNBSP, TODAY, _one, activity_row, as_csv, counts, imported, measure_row

CONFIRM = (
    "vérifiez-la ; pour l'enregistrer quand même, confirmez-la (« Je confirme cette valeur » dans le formulaire, "
    "un motif de dérogation à l'import)"
)
CONFIRMED = "valeur confirmée malgré l'écart avec la précédente"


@pytest.fixture
def loaded(engine, tmp_path, monkeypatch):
    """The minimal convention (TX: 54,5 % at 31/12/2024; EAJE1: 25 places and 12 000 hours
    delivered in 2024), plus NB, a count without bounds, at 40 on 31/12/2024."""
    monkeypatch.setenv("CTG_TODAY", TODAY)
    sheets = minimal_convention()
    tx = sheets["indicateurs"][0]
    sheets["indicateurs"].append(tx | {"code": "NB", "unite": "enfants", "min": "", "max": ""})
    sheets["mesures"].append(sheets["mesures"][1] | {"indicateur": "NB", "valeur": "40"})
    assert load_folder(write_folder(tmp_path / "seed", sheets), actor="seed", engine=engine).ok
    return engine


Form = Callable[..., object]  # (engine, **more fields, e.g. confirmed=True)


def measurement(indicator: str, value: str, **fields: object) -> Form:
    def write(engine: Engine, **more: object) -> object:
        indicator_id = _one(engine, m.Indicator, code=indicator)
        return record_measurement(
            engine, ADVISOR, indicator_id=indicator_id, measured_on="2025-03-31", value=value, **fields, **more
        )

    return write


def activity(**fields: object) -> Form:
    def write(engine: Engine, **more: object) -> object:
        facility_id = _one(engine, m.Facility, code="EAJE1")
        return upsert_activity(engine, ADVISOR, facility_id=facility_id, year=2025, **fields, **more)

    return write


CASES = [  # (id, the form's call, its field, the sheet, the same values as a row, its column, the warning)
    (
        "mesure-dix-fois",
        measurement("NB", "400"),
        "Valeur",
        "mesures",
        measure_row("NB", valeur="400"),
        "valeur",
        f"valeur 400 : au moins 10 fois la valeur précédente (40 au 31/12/2024) ; {CONFIRM}",
    ),
    (
        "mesure-dixieme",
        measurement("TX", "5"),
        "Valeur",
        "mesures",
        measure_row(valeur="5"),
        "valeur",
        f"valeur 5 : au plus le dixième de la valeur précédente (54,5 au 31/12/2024) ; {CONFIRM}",
    ),
    (
        "places-dix-fois",
        activity(places="250"),
        "Places",
        "activite",
        activity_row(places="250"),
        "places",
        f"250 places : au moins 10 fois la valeur précédente (25 en 2024) ; {CONFIRM}",
    ),
    (
        "heures-dixieme",
        activity(hours_delivered="1000"),
        "Heures réalisées",
        "activite",
        activity_row(heures_realisees="1000"),
        "heures_realisees",
        f"1{NNBSP}000 heures : au plus le dixième de la valeur précédente (12{NNBSP}000 en 2024) ; {CONFIRM}",
    ),
]
IDS = [case[0] for case in CASES]


def _reasons(engine: Engine, table: str) -> list[str | None]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(m.AuditEvent.reason).where(m.AuditEvent.table_name == table).order_by(m.AuditEvent.id)
            ).all()
        )


@pytest.mark.parametrize(("form", "field", "sheet", "row", "column", "message"), [c[1:] for c in CASES], ids=IDS)
def test_a_value_far_from_the_previous_one_gets_the_same_warning_and_is_not_saved_unconfirmed(
    loaded, form, field, sheet, row, column, message
):
    before = counts(loaded)
    with pytest.raises(ValidationError) as by_form:
        form(loaded)
    assert by_form.value.errors == {field: message}
    assert counts(loaded) == before
    assert imported(loaded, sheet, row) == [(column, message)]
    assert counts(loaded) == before


TABLES = {"mesures": "measurements", "activite": "facility_activity"}


@pytest.mark.parametrize(("form", "sheet", "row", "column", "message"), [c[1:2] + c[3:] for c in CASES], ids=IDS)
def test_a_confirmed_value_is_saved_and_the_history_keeps_the_confirmation(loaded, form, sheet, row, column, message):
    table = TABLES[sheet]
    before = _reasons(loaded, table)
    form(loaded, confirmed=True)
    assert _reasons(loaded, table)[len(before) :][-1] == CONFIRMED
    # The import confirms with its row's reason. The same value would write nothing: another one,
    # as far from the previous one (one more, or one less for a tenth), is imported.
    farther = int(row[column]) + (-1 if "dixième" in message else 1)
    again = row | {"motif_derogation": "Ouverture d'une nouvelle structure", column: str(farther)}
    assert [(c, text.endswith(CONFIRM)) for c, text in imported(loaded, sheet, again | {"motif_derogation": ""})] == [
        (column, True)
    ]
    assert imported(loaded, sheet, again) == []
    assert _reasons(loaded, table)[-1] == "Ouverture d'une nouvelle structure"


def test_values_within_ten_times_are_saved_without_a_word(loaded):
    before = _reasons(loaded, "measurements")
    measurement("NB", "399")(loaded)  # 9,975 times 40
    assert imported(loaded, "mesures", measure_row(valeur="5,5")) == []  # 54,5 ÷ 9,9
    activity(places="249", hours_delivered="1201")(loaded)  # under 10 × 25, above a tenth of 12 000
    assert _reasons(loaded, "measurements")[len(before) :] == [None, None]
    assert _reasons(loaded, "facility_activity")[-1] is None


def test_the_bulk_grid_warns_with_the_same_words_and_saves_once_confirmed(loaded):
    with Session(loaded) as session:
        convention_id = session.exec(select(m.Convention).where(m.Convention.code == "ctg-t")).one().id
    grid = {"convention_id": convention_id, "measured_on": "2025-03-31", "rows": [GridRow("NB", "400")]}
    check = validate_grid(loaded, ADVISOR, **grid)
    assert check.valid == []
    assert [r.reasons for r in check.rejected] == [(f"Valeur : {CASES[0][-1]}",)]
    confirmed = validate_grid(loaded, ADVISOR, confirmed=True, **grid)
    assert [entry.data.override_reason for entry in confirmed.valid] == [CONFIRMED]


# ------------------------------------------------------------------ the one date rule on imported actions

OUTSIDE = "indiquez un motif de dérogation pour l'enregistrer quand même"


ADMIN = Actor(email="admin@test", role=Role.ADMIN)  # who may change the plan of a convention


def action_row(**changes: str) -> dict:
    return minimal_convention()["actions"][0] | changes


def imported_action(engine: Engine, row: dict) -> list[tuple[str | None, str]]:
    report = import_upload(engine, ADMIN, "actions.csv", as_csv([row]), dry_run=False)
    return [(error.column, error.message) for error in report.errors]


def test_an_imported_action_date_outside_the_convention_needs_a_reason_kept_in_the_history(loaded):
    late = action_row(date_fin="2030-06-30")
    assert imported_action(loaded, late) == [
        ("date_fin", f"le 30/06/2030 est hors de la convention (du 01/06/2023 au 31/05/2027) : {OUTSIDE}")
    ]
    new = action_row(code="PE-2", date_debut="2020-01-01")
    assert imported_action(loaded, new) == [
        ("date_debut", f"le 01/01/2020 est hors de la convention (du 01/06/2023 au 31/05/2027) : {OUTSIDE}")
    ]
    assert imported_action(loaded, late | {"motif_derogation": "Chantier prolongé"}) == []
    assert _reasons(loaded, "actions")[-1] == "Chantier prolongé"
    # The dates as stored are not held to the rule again: the same row without a reason imports.
    assert imported_action(loaded, late | {"intitule": "Ouvrir une crèche de 30 places"}) == []


def test_the_export_carries_the_reason_of_an_action_dated_outside_the_convention(loaded):
    assert imported_action(loaded, action_row(date_fin="2030-06-30", motif_derogation="Chantier prolongé")) == []
    with Session(loaded) as session:
        rows = export_rows(session, actor=ADMIN)["actions"]
    columns = [column.name for column in SHEETS_BY_NAME["actions"].columns]
    assert [dict(zip(columns, row, strict=True))["motif_derogation"] for row in rows] == ["Chantier prolongé"]
