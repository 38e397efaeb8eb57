"""A funding line's amounts, on SQLite and PostgreSQL: euros with two decimals at most, never
negative; written by advisors only; stale edits refused, the first save kept."""

import json
from decimal import Decimal

import pytest
from sqlmodel import Session

from ctg_data import models as m
from ctg_data.errors import ConflictError, PermissionDenied, ValidationError
from ctg_data.services import funding as svc
from tests.saisie_data import ADMIN, ADVISOR, READER, audit_events, fingerprint, load_small, partner


@pytest.fixture
def small(engine, tmp_path):
    return load_small(engine, tmp_path)


def line(engine, small) -> m.FundingLine:
    with Session(engine) as session:
        return session.get(m.FundingLine, small.funding_line_id)


def save(engine, small, actor=ADVISOR, opened=None, **values):
    opened = opened or svc.funding_for_edit(engine, small.funding_line_id)
    arguments = {"planned": "30000", "notified": "30000", "paid": "15000"} | values
    return svc.update_funding(
        engine,
        actor,
        funding_line_id=small.funding_line_id,
        expected_version=opened["version"],
        opened=opened,
        **arguments,
    )


def test_amounts_typed_in_french_are_saved_to_the_cent_and_audited(engine, small):
    result = save(engine, small, notified="30 000,00", paid="22 500,5", comment="Acompte versé")
    assert result.changed
    saved = line(engine, small)
    assert (saved.planned, saved.notified, saved.paid, saved.comment, saved.version) == (
        Decimal("30000.00"),
        Decimal("30000.00"),
        Decimal("22500.50"),
        "Acompte versé",
        2,
    )
    event = audit_events(engine, "funding_lines")[-1]
    assert (event.operation, event.actor) == ("saisie:modification", "conseillere@caf.test")
    assert (json.loads(event.before)["paid"], json.loads(event.after)["paid"]) == ("15000.00", "22500.50")


def test_a_blank_amount_means_not_known_and_the_comment_is_kept_when_left_out(engine, small):
    save(engine, small, comment="À confirmer")
    save(engine, small, paid="")
    saved = line(engine, small)
    assert (saved.paid, saved.comment) == (None, "À confirmer")


def test_the_same_amounts_write_nothing(engine, small):
    before = fingerprint(engine)
    assert not save(engine, small, planned="30 000", notified="30000.00").changed
    assert fingerprint(engine) == before


BAD = [
    ({"paid": "-5"}, "Montant versé", "montant négatif"),
    ({"notified": "10.123"}, "Montant notifié", "deux décimales au plus"),
    ({"planned": "trente mille"}, "Montant prévu", "nombre attendu"),
    ({"planned": "1.234,5"}, "Montant prévu", "ambigu"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[f for _, f, _ in BAD])
def test_bad_amounts_are_refused_naming_the_field_and_nothing_is_written(engine, small, change, field, message):
    before = fingerprint(engine, (m.FundingLine, small.funding_line_id))
    with pytest.raises(ValidationError) as refused:
        save(engine, small, **change)
    assert message in refused.value.errors[field]
    assert fingerprint(engine, (m.FundingLine, small.funding_line_id)) == before


@pytest.mark.parametrize("who", ["lecteur", "partenaire bénéficiaire", "partenaire d'une autre organisation"])
def test_only_advisors_and_admins_write_funding(engine, small, who):
    actor = {
        "lecteur": READER,
        "partenaire bénéficiaire": partner(small, "ville"),
        "partenaire d'une autre organisation": partner(small, "autre"),
    }[who]
    before = fingerprint(engine, (m.FundingLine, small.funding_line_id))
    with pytest.raises(PermissionDenied):
        save(engine, small, actor, paid="30000")
    assert fingerprint(engine, (m.FundingLine, small.funding_line_id)) == before
    assert svc.may_write_funding(engine, actor, small.convention_id) is False
    assert svc.may_write_funding(engine, ADMIN, small.convention_id) is True


def test_two_edits_from_the_same_version_give_one_conflict_and_keep_the_first(engine, small):
    first = svc.funding_for_edit(engine, small.funding_line_id)
    second = svc.funding_for_edit(engine, small.funding_line_id)
    save(engine, small, ADVISOR, opened=first, paid="30000")
    before = fingerprint(engine, (m.FundingLine, small.funding_line_id))
    with pytest.raises(ConflictError) as conflict:
        save(engine, small, ADMIN, opened=second, paid="20000")
    assert conflict.value.changes == [("paid", "15000.00", "30000.00")]
    assert conflict.value.changed_by == "conseillere@caf.test"
    assert fingerprint(engine, (m.FundingLine, small.funding_line_id)) == before
    assert line(engine, small).paid == Decimal("30000.00")
