"""Bilan annuel (issue 14), on SQLite and PostgreSQL: a year's review and a domain's evaluation
saved and read back, audited, a stale edit refused, lecteurs and partners refused; and the
« Bilan annuel » tab of the Comités page on the demo (two closed COPILs, 2024 and 2025)."""

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from ctg_data.actors import Actor, Role
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.services import reviews as svc
from tests.saisie_data import ADVISOR, READER, audit_events, fingerprint, load_small, partner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def write(engine, small, actor=ADVISOR, opened=None, **texts):
    return svc.save_review(
        engine,
        actor,
        convention_id=small.convention_id,
        year=2025,
        expected_version=None if opened is None else opened["version"],
        opened=opened,
        texts=texts,
    )


def test_a_review_is_saved_read_back_and_audited(engine, small):
    saved = write(engine, small, done="Relais ouvert", partners_comments="<b>pas du HTML</b>")
    read = svc.review_for_edit(engine, small.convention_id, 2025)
    assert (read["done"], read["not_done"], read["partners_comments"], read["version"]) == (
        "Relais ouvert",
        None,
        "<b>pas du HTML</b>",
        1,
    )
    again = write(engine, small, opened=saved.opened, done="Relais ouvert", next_year="Ouvrir le LAEP")
    assert svc.review_for_edit(engine, small.convention_id, 2025)["next_year"] == "Ouvrir le LAEP"
    assert again.opened["version"] == 2
    created, updated = audit_events(engine, "annual_reviews")
    assert (created.operation, created.actor) == ("saisie:création", ADVISOR.email)
    assert (
        json.loads(updated.before)["next_year"] is None and json.loads(updated.after)["next_year"] == "Ouvrir le LAEP"
    )


def test_a_stale_review_is_refused_and_nothing_is_written(engine, small):
    first = write(engine, small, done="A")
    write(engine, small, opened=first.opened, done="B")
    before = fingerprint(engine)
    with pytest.raises(ConflictError):
        write(engine, small, opened=first.opened, done="C")
    with pytest.raises(ConflictError):  # a form that saw no review meets one
        write(engine, small, done="D")
    assert fingerprint(engine) == before
    assert svc.review_for_edit(engine, small.convention_id, 2025)["done"] == "B"


def test_a_too_long_text_is_refused(engine, small):
    with pytest.raises(ValidationError) as refused:
        write(engine, small, done="x" * (svc.TEXT_LIMIT + 1))
    assert svc.Label.DONE in refused.value.errors
    assert svc.review_for_edit(engine, small.convention_id, 2025) is None


def test_readers_and_partners_may_not_write(engine, small):
    before = fingerprint(engine)
    for actor in (READER, partner(small, next(iter(small.organisations)))):
        with pytest.raises(PermissionDenied):
            write(engine, small, actor=actor, done="Non")
        with pytest.raises(PermissionDenied):
            svc.save_evaluation(
                engine,
                actor,
                convention_id=small.convention_id,
                domain_code="petite_enfance",
                expected_version=None,
                opened=None,
                text="Non",
            )
    assert fingerprint(engine) == before


def test_a_domain_evaluation_is_saved_audited_and_a_stale_one_refused(engine, small):
    with Session(engine) as session:
        domain = session.exec(select(m.Domain.code).order_by(m.Domain.position)).first()
    arguments = {"convention_id": small.convention_id, "domain_code": domain}
    saved = svc.save_evaluation(
        engine, ADVISOR, **arguments, expected_version=None, opened=None, text="Objectif atteint"
    )
    assert svc.evaluations_for_edit(engine, small.convention_id)[domain]["text"] == "Objectif atteint"
    svc.save_evaluation(engine, ADVISOR, **arguments, expected_version=1, opened=saved.opened, text="Atteint à 90 %")
    with pytest.raises(ConflictError):
        svc.save_evaluation(engine, ADVISOR, **arguments, expected_version=1, opened=saved.opened, text="Vieux")
    assert svc.evaluations_for_edit(engine, small.convention_id)[domain]["text"] == "Atteint à 90 %"
    assert [e.operation for e in audit_events(engine, "domain_evaluations")] == [
        "saisie:création",
        "saisie:modification",
    ]


# ------------------------------------------------------------------ the tab, on the demo


def run_page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "comites.py"), default_timeout=60)
    at.session_state["ctg_actor"] = actor
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_review_tab_shows_frozen_figures_and_saves_the_texts(demo_app, demo_engine):
    at = run_page(Actor(email="conseillere@caf.test", role=Role.CONSEILLER))
    year = next(s for s in at.selectbox if s.label == "Année du bilan")
    year.set_value(2024).run()
    assert not at.exception, at.exception
    # The 2024 COPIL (18/06/2024) was closed: its figures are shown, not "none".
    captions = [c.value for c in at.caption]
    assert any("18/06/2024" in c for c in captions), captions
    assert not any("Aucun COPIL clos en 2024" in c for c in captions)
    assert any("2024 par rapport à 2023" in md.value for md in at.markdown)
    next(t for t in at.text_area if t.label == svc.Label.DONE).set_value("<b>Relais</b> renforcé")
    next(b for b in at.button if b.label == "Enregistrer le bilan").click().run()
    assert not at.exception, at.exception
    with Session(demo_engine) as session:
        [review] = session.exec(select(m.AnnualReview)).all()
    assert (review.year, review.done) == (2024, "<b>Relais</b> renforcé")

    # The convention's last year: each domain's figures at the first and last COPIL, and its text.
    next(s for s in at.selectbox if s.label == "Année du bilan").set_value(2027).run()
    assert not at.exception, at.exception
    assert any("Évaluation par domaine" in md.value for md in at.markdown)
    columns = [list(frame.value.columns) for frame in at.dataframe]
    assert ["Chiffres", "au 18/06/2024", "au 17/06/2025"] in columns
    next(t for t in at.text_area if t.label == "Évaluation").set_value("Objectifs tenus")
    next(b for b in at.button if b.label == "Enregistrer l'évaluation").click().run()
    assert not at.exception, at.exception
    with Session(demo_engine) as session:
        assert [e.text for e in session.exec(select(m.DomainEvaluation)).all()] == ["Objectifs tenus"]


def test_a_reader_sees_the_review_as_plain_text(demo_app, demo_engine):
    with Session(demo_engine) as session:
        convention = session.exec(select(m.Convention.id)).first()
    svc.save_review(
        demo_engine,
        ADVISOR,
        convention_id=convention,
        year=2026,
        expected_version=None,
        opened=None,
        texts={"done": "**pas du Markdown**"},
    )
    at = run_page(READER)
    assert not at.text_area
    assert "**pas du Markdown**" in [t.value for t in at.text]
