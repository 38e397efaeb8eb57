"""Communes and organisations are shared by every convention: an import never renames or
changes them silently (refused, unless an administrator asks to update shared referentials,
then each change is listed and audited), and seeding the demo leaves another convention's data
as it was. A facility outside its convention's perimeter is accepted with a warning."""

import json
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import PermissionDenied
from ctg_data.interchange import load_folder
from ctg_data.interchange.importer import import_upload
from tests.csv_folder import write_folder

ADMIN = Actor(email="admin@test", role=Role.ADMIN)
ADVISOR = Actor(email="conseillere@caf.test", role=Role.CONSEILLER)
KEPT = ": les données partagées ne sont pas modifiées par un import"


def tarn_convention() -> dict[str, list[dict]]:
    """A real-looking convention already in the base, over Lourdes and Jarret with its own
    figures, and one over Sèvremoine (INSEE 49301)."""
    return {
        "organisations": [
            {"code": "caf65", "nom": "Caisse d'allocations familiales 65", "type": "caf"},
            {"code": "ccpl", "nom": "CC Pyrénées Lourdes", "type": "epci"},
        ],
        "communes": [
            {
                "code_insee": "65286",
                "nom": "Lourdes",
                "population": "13100",
                "enfants_moins_3_ans": "350",
                "qpv": "oui",
            },
            {"code_insee": "65233", "nom": "Jarret", "population": "300", "enfants_moins_3_ans": "", "qpv": "non"},
            {"code_insee": "49301", "nom": "Sèvremoine", "population": "25500", "enfants_moins_3_ans": "", "qpv": ""},
        ],
        "conventions": [
            {
                "code": "ctg-reelle",
                "nom": "CTG réelle",
                "caf": "caf65",
                "date_debut": "2022-01-01",
                "date_fin": "2025-12-31",
            }
        ],
        "perimetre": [
            {"convention": "ctg-reelle", "code_insee": "65286"},
            {"convention": "ctg-reelle", "code_insee": "65233"},
        ],
        "equipements": [
            {
                "convention": "ctg-reelle",
                "code": "RPE",
                "nom": "Relais petite enfance",
                "type": "rpe",
                "code_insee": "65286",
                "gestionnaire": "ccpl",
            }
        ],
    }


def load(engine, folder: Path, sheets: dict[str, list[dict]], **kw):
    return load_folder(write_folder(folder, sheets), actor="test", engine=engine, **kw)


def as_csv(rows: list[dict]) -> bytes:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(row.get(name, "")) for name in header) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def dump(engine) -> dict[str, list[str]]:
    """Every row of every table but the audit trail, as JSON text: equal means byte-identical data."""
    with Session(engine) as session:
        return {
            model.__tablename__: sorted(
                json.dumps(row.model_dump(mode="json"), sort_keys=True) for row in session.exec(select(model)).all()
            )
            for model in SQLModel.__subclasses__()
            if getattr(model, "__table__", None) is not None and model is not m.AuditEvent
        }


def shared_and_other_rows(engine, other_code: str) -> list[tuple[type[SQLModel], object]]:
    """The keys of the shared rows (communes, organisations, barème) and of every row of
    convention `other_code`."""
    with Session(engine) as session:
        other = session.exec(select(m.Convention).where(m.Convention.code == other_code)).one()
        keys: list[tuple[type[SQLModel], object]] = [(m.Convention, other.id)]
        for model in (m.Orientation, m.Action, m.Indicator, m.Facility, m.CoordinationPost, m.FundingLine):
            keys += [(model, id_) for id_ in session.exec(select(model.id).filter_by(convention_id=other.id))]
        keys += [
            (m.Perimeter, (other.id, code))
            for code in session.exec(select(m.Perimeter.insee_code).filter_by(convention_id=other.id))
        ]
        keys += [
            (m.Signatory, (other.id, org))
            for org in session.exec(select(m.Signatory.organisation_id).filter_by(convention_id=other.id))
        ]
        keys += [(m.Commune, code) for code in session.exec(select(m.Commune.insee_code))]
        keys += [(model, id_) for model in (m.Organisation, m.RateRow) for id_ in session.exec(select(model.id))]
        return keys


def contents(engine, keys: list[tuple[type[SQLModel], object]]) -> list[str | None]:
    """The full content of each row, as JSON text (None: the row is gone)."""
    with Session(engine) as session:
        rows = [session.get(model, key) for model, key in keys]
        return [None if row is None else json.dumps(row.model_dump(mode="json"), sort_keys=True) for row in rows]


# ------------------------------------------------------------------ refused without a request


def test_an_import_refuses_to_rename_a_shared_commune_and_says_what_differs(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    before = dump(engine)
    deleguee = [
        {
            "code_insee": "49301",
            "nom": "Saint-Macaire-en-Mauges",
            "population": "25500",
            "enfants_moins_3_ans": "",
            "qpv": "",
        }
    ]
    report = import_upload(engine, ADMIN, "communes.csv", as_csv(deleguee), dry_run=False)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (
            2,
            "nom",
            "la commune 49301 s'appelle « Sèvremoine » dans la base ; le fichier dit "
            f"« Saint-Macaire-en-Mauges » {KEPT}",
        )
    ]
    assert dump(engine) == before


def test_loading_a_convention_refuses_other_names_and_figures_of_shared_rows(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    before = dump(engine)
    sheets = tarn_convention()
    sheets["conventions"][0]["code"] = "ctg-nouvelle"
    for row in sheets["perimetre"] + sheets["equipements"]:
        row["convention"] = "ctg-nouvelle"
    sheets["communes"][0]["nom"] = "Lourdes-Ville"
    sheets["communes"][1]["population"] = "308"
    sheets["organisations"][0]["nom"] = "CAF des Hautes-Pyrénées"
    report = load(engine, tmp_path / "b", sheets)
    assert sorted(e.message for e in report.errors) == sorted(
        [
            f"la commune 65286 s'appelle « Lourdes » dans la base ; le fichier dit « Lourdes-Ville » {KEPT}",
            f"la commune 65233 a pour population « 300 » dans la base ; le fichier dit « 308 » {KEPT}",
            "l'organisation caf65 s'appelle « Caisse d'allocations familiales 65 » dans la base ; le fichier dit "
            f"« CAF des Hautes-Pyrénées » {KEPT}",
        ]
    )
    assert dump(engine) == before


def test_identical_shared_rows_stay_a_no_op_for_whoever_may_import(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    for sheet in ("communes", "organisations"):
        report = import_upload(engine, ADVISOR, f"{sheet}.csv", as_csv(tarn_convention()[sheet]), dry_run=False)
        assert report.ok, report.errors
        assert not report.changed and report.changes == []


# ------------------------------------------------------------------ an administrator's request


def test_an_administrator_may_update_shared_rows_on_request_each_change_listed_and_audited(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    rows = tarn_convention()["communes"][:2]
    rows[0]["nom"] = "Lourdes-Ville"
    rows[1]["population"] = "308"
    dry = import_upload(engine, ADMIN, "communes.csv", as_csv(rows), dry_run=True, shared_updates=True)
    report = import_upload(engine, ADMIN, "communes.csv", as_csv(rows), dry_run=False, shared_updates=True)
    expected = ["commune 65286 : nom « Lourdes » → « Lourdes-Ville »", "commune 65233 : population « 300 » → « 308 »"]
    assert dry.ok and dry.changes == expected
    assert report.ok and report.changes == expected
    assert dict(report.counts["communes"]) == {"updated": 2}
    with Session(engine) as session:
        assert session.get_one(m.Commune, "65286").name == "Lourdes-Ville"
        event = session.exec(
            select(m.AuditEvent).where(
                m.AuditEvent.table_name == "communes",
                m.AuditEvent.record_key == "65286",
                m.AuditEvent.operation == "import:modification",
            )
        ).one()
    assert '"name": "Lourdes"' in event.before and '"name": "Lourdes-Ville"' in event.after
    assert event.actor == ADMIN.label and "référentiels partagés" in event.reason


def test_only_an_administrator_may_ask_to_update_shared_referentials(engine, tmp_path):
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    before = dump(engine)
    rows = tarn_convention()["communes"][:1]
    rows[0]["nom"] = "Lourdes-Ville"
    with pytest.raises(PermissionDenied) as refused:
        import_upload(engine, ADVISOR, "communes.csv", as_csv(rows), dry_run=False, shared_updates=True)
    assert "modifier les référentiels" in str(refused.value)
    assert dump(engine) == before


# ------------------------------------------------------------------ the demo seed


def test_ctg_seed_of_the_demo_leaves_another_conventions_data_byte_identical(ctg_command, database_url, tmp_path):
    from ctg_data.db import make_engine

    engine = make_engine(database_url)
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    before = dump(engine)
    result = ctg_command(database_url, "seed")
    assert result.returncode == 1
    assert (
        f"la commune 65286 a pour population « 13100 » dans la base ; le fichier dit « 13509 » {KEPT}"
    ) in result.stderr
    assert dump(engine) == before
    engine.dispose()


def test_ctg_seed_beside_a_convention_with_the_same_shared_rows_changes_none_of_its_rows(
    ctg_command, database_url, tmp_path
):
    from ctg_data.db import make_engine

    engine = make_engine(database_url)
    sheets = tarn_convention()
    # The demo's own figures for the communes and the CAF: nothing shared differs.
    sheets["communes"][0].update(population="13509", enfants_moins_3_ans="390")
    sheets["communes"][1].update(population="308", enfants_moins_3_ans="9")
    sheets["organisations"][0]["nom"] = "CAF des Hautes-Pyrénées"
    assert load(engine, tmp_path / "a", sheets).ok, "the test data agrees with the demo's shared rows"
    keys = shared_and_other_rows(engine, "ctg-reelle")
    before = contents(engine, keys)
    result = ctg_command(database_url, "seed")
    assert result.returncode == 0, result.stderr
    assert contents(engine, keys) == before
    with Session(engine) as session:
        assert session.exec(select(m.Convention).where(m.Convention.code == "ctg-lourdes-2023")).one()
    engine.dispose()


# ------------------------------------------------------------------ facilities outside the perimeter


def test_an_imported_facility_outside_its_perimeter_is_accepted_with_a_warning(engine, tmp_path):
    sheets = tarn_convention()
    sheets["equipements"].append(
        {
            "convention": "ctg-reelle",
            "code": "MAM",
            "nom": "MAM",
            "type": "rpe",
            "code_insee": "49301",
            "gestionnaire": "ccpl",
        }
    )
    report = load(engine, tmp_path / "a", sheets)
    assert report.ok, report.errors
    assert [(w.line, w.message) for w in report.warnings] == [
        (3, "équipement MAM à Sèvremoine, hors du périmètre de la convention ctg-reelle")
    ]
    assert report.counts["equipements"]["created"] == 2


def test_ctg_seed_with_shared_updates_lists_each_change_and_ctg_check_warns_of_the_perimeter(
    ctg_command, database_url, tmp_path
):
    from ctg_data.db import make_engine

    engine = make_engine(database_url)
    sheets = tarn_convention()
    sheets["equipements"].append(
        {
            "convention": "ctg-reelle",
            "code": "MAM",
            "nom": "MAM",
            "type": "rpe",
            "code_insee": "49301",
            "gestionnaire": "ccpl",
        }
    )
    assert load(engine, tmp_path / "a", sheets).ok
    engine.dispose()
    checked = ctg_command(database_url, "check")
    assert checked.returncode == 0, checked.stdout  # a warning, not a broken rule
    assert "équipement MAM à Sèvremoine, hors du périmètre de la convention ctg-reelle" in checked.stdout
    assert "1 avertissement(s)" in checked.stdout
    seeded = ctg_command(database_url, "seed", "--shared-updates")
    assert seeded.returncode == 0, seeded.stderr
    assert "  - commune 65286 : population « 13100 » → « 13509 »" in seeded.stdout
    assert (
        "  - organisation caf65 : nom « Caisse d'allocations familiales 65 » → « CAF des Hautes-Pyrénées »"
        in seeded.stdout
    )


# ------------------------------------------------------------------ the import page


def import_page(actor: Actor):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(
        str(Path(__file__).resolve().parent.parent / "pages" / "import_export.py"), default_timeout=60
    )
    at.session_state["ctg_actor"] = actor
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def check_upload(at, name: str, data: bytes):
    at.file_uploader(key="ie_upload").set_value((name, data, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Vérifier").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def read(markdown: str) -> str:
    return markdown.replace("\\", "").replace("\u2060", "")


def test_the_import_page_offers_shared_updates_to_administrators_only(demo_app, demo_engine):
    renamed = [
        {
            "code_insee": "65286",
            "nom": "Lourdes-Ville",
            "population": "13509",
            "enfants_moins_3_ans": "390",
            "qpv": "oui",
        }
    ]
    advisor = check_upload(import_page(ADVISOR), "communes.csv", as_csv(renamed))
    assert [c.key for c in advisor.checkbox] == []
    admin = check_upload(import_page(ADMIN), "communes.csv", as_csv(renamed))
    messages = [message for frame in admin.dataframe if "Message" in frame.value for message in frame.value["Message"]]
    assert messages == [
        f"la commune 65286 s'appelle « Lourdes » dans la base ; le fichier dit « Lourdes-Ville » {KEPT}"
    ]
    admin.checkbox(key="ie_shared_updates").check()
    admin.run()
    next(b for b in admin.button if b.label == "Vérifier").click()
    admin.run()
    assert [read(i.value) for i in admin.info] == [
        "Référentiels partagés mis à jour : commune 65286 : nom « Lourdes » → « Lourdes-Ville »."
    ]
    with Session(demo_engine) as session:
        assert session.get_one(m.Commune, "65286").name == "Lourdes"  # a check writes nothing


def test_ctg_import_refuses_a_renamed_commune_unless_asked_with_shared_updates(ctg_command, database_url, tmp_path):
    from ctg_data.db import make_engine

    engine = make_engine(database_url)
    assert load(engine, tmp_path / "a", tarn_convention()).ok
    rows = tarn_convention()["communes"][:1]
    rows[0]["nom"] = "Lourdes-Ville"
    path = tmp_path / "communes.csv"
    path.write_bytes(as_csv(rows))
    refused = ctg_command(database_url, "import", str(path))
    assert refused.returncode == 1
    assert "la commune 65286 s'appelle « Lourdes » dans la base" in refused.stderr
    done = ctg_command(database_url, "import", str(path), "--shared-updates")
    assert done.returncode == 0, done.stderr
    assert "  - commune 65286 : nom « Lourdes » → « Lourdes-Ville »" in done.stdout
    with Session(engine) as session:
        assert session.get_one(m.Commune, "65286").name == "Lourdes-Ville"
    engine.dispose()
