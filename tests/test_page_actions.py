"""The Actions page on the demo convention, run by AppTest. Expected figures are recomputed
here from the seed CSV files and docs/rules.md, never read from the code under test."""

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import models as m
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "lourdes-2023"
PAGE = ROOT / "pages" / "actions.py"
TODAY = date(2026, 11, 26)
CLOSED = {"realisee", "abandonnee"}  # docs/rules.md: these are never late
EMPTY = "Aucune action ne correspond à ces filtres."


def seed_rows(sheet: str) -> list[dict]:
    with open(SEED / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ACTIONS = seed_rows("actions")
ORGANISATIONS = {row["code"]: row["nom"] for row in seed_rows("organisations")}


def is_late(row: dict) -> bool:
    """docs/rules.md: late when today > date_fin and the status is neither realisee nor abandonnee."""
    return bool(row["date_fin"]) and date.fromisoformat(row["date_fin"]) < TODAY and row["statut"] not in CLOSED


def expected_progress(row: dict) -> int | None:
    """docs/rules.md: avancement when given, else by status; a realisee action is always 100."""
    if row["statut"] == "realisee":
        return 100
    if row["avancement"]:
        return int(row["avancement"])
    return {"a_venir": 0, "en_cours": 50, "en_pause": 50}.get(row["statut"])


def plain(markdown: str) -> str:
    """What a reader sees of escaped Markdown: the text without its backslash escapes."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # the escaper's invisible word joiners


def french_money(amount: str) -> str:
    """ "12000.00" → "12 000,00 €" with the narrow no-break space between thousands and the
    no-break space before the euro sign, written out by hand."""
    cents = Decimal(amount).quantize(Decimal("0.01"))
    units, decimals = f"{cents:.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return "\u202f".join(groups) + "," + decimals + "\u00a0€"


def run_page(**query) -> AppTest:
    at = sign_in(AppTest.from_file(str(PAGE), default_timeout=30))
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def actions_table(at: AppTest):
    return at.main.dataframe[0].value


def fiche_selectbox(at: AppTest):
    return next(box for box in at.main.selectbox if box.label == "Fiche action")


def markdown_texts(at: AppTest) -> list[str]:
    return [plain(block.value) for block in at.main.markdown]


# --- the table ----------------------------------------------------------------------------


def test_table_lists_every_action_of_the_demo_convention(demo_engine):
    table = actions_table(run_page())
    assert sorted(table["Code"]) == sorted(row["code"] for row in ACTIONS)


def test_table_shows_computed_progress_lateness_in_words_and_due_dates(demo_engine):
    table = actions_table(run_page()).set_index("Code")
    for row in ACTIONS:
        shown = table.loc[row["code"]]
        progress = expected_progress(row)
        if progress is None:
            assert pd.isna(shown["Avancement"]), row["code"]  # shown as "—", never 0 %
        else:
            assert int(shown["Avancement"]) == progress, row["code"]
        assert shown["Retard"] == ("En retard" if is_late(row) else ""), row["code"]
        assert str(shown["Échéance"])[:10] == row["date_fin"], row["code"]


def test_late_toggle_shows_exactly_the_late_actions(demo_engine):
    late = {row["code"] for row in ACTIONS if is_late(row)}
    assert late, "the demo convention is expected to have late actions at this date"
    at = run_page()
    at.toggle(key="actions_late_only").set_value(True).run()
    assert not at.exception
    table = actions_table(at)
    assert set(table["Code"]) == late
    assert len(table) == len(late)
    assert set(table["Retard"]) == {"En retard"}
    counted = next(caption.value for caption in at.main.caption if "affichée(s)" in caption.value)
    assert f"dont {len(late)} en retard" in counted


def test_status_filter_keeps_only_the_chosen_statuses(demo_engine):
    at = run_page()
    at.multiselect(key="actions_status").select("realisee").run()
    assert set(actions_table(at)["Code"]) == {row["code"] for row in ACTIONS if row["statut"] == "realisee"}


def test_partner_filter_keeps_the_actions_that_partner_works_on(demo_engine):
    at = run_page()
    at.multiselect(key="actions_partner").select(ORGANISATIONS["jarret"]).run()
    expected = {row["code"] for row in ACTIONS if "jarret" in row["partenaires"].split(";")}
    assert expected
    assert set(actions_table(at)["Code"]) == expected


def test_sidebar_commune_filter_applies_to_the_table(demo_engine):
    # An action listing no commune concerns the whole territory.
    expected = {row["code"] for row in ACTIONS if not row["communes"] or "65233" in row["communes"].split(";")}
    assert expected != {row["code"] for row in ACTIONS}
    table = actions_table(run_page(commune="65233"))
    assert set(table["Code"]) == expected


def test_filters_matching_nothing_show_the_empty_state(demo_engine):
    at = run_page()
    at.toggle(key="actions_late_only").set_value(True)
    at.multiselect(key="actions_status").select("realisee").run()
    assert not at.exception
    assert not [table for table in at.main.dataframe if "Code" in table.value.columns]  # no action listed
    assert [info.value for info in at.main.info] == [EMPTY]


# --- the fiche ------------------------------------------------------------------------------


def test_deep_link_opens_the_action_fiche_with_its_partners(demo_engine):
    row = next(r for r in ACTIONS if r["code"] == "PE-1.1")
    at = run_page(action="PE-1.1")
    assert fiche_selectbox(at).value == "PE-1.1"
    assert plain(at.main.subheader[0].value) == f"PE-1.1 — {row['intitule']}"
    texts = markdown_texts(at)
    partners = next(text for text in texts if text.startswith("- "))
    assert partners.splitlines() == sorted(f"- {ORGANISATIONS[code]}" for code in row["partenaires"].split(";"))
    lead, *copilots = row["pilote"].split(";")  # the first code leads, the others co-pilot
    shown = [t.replace("**", "") for t in texts]
    assert f"Pilote : {ORGANISATIONS[lead]}" in shown
    assert f"Copilotes : {', '.join(ORGANISATIONS[code] for code in copilots) or '—'}" in shown
    assert at.main.get("progress")[0].value == expected_progress(row)
    assert at.query_params["action"] == "PE-1.1"


def test_fiche_lists_linked_indicators_with_their_status(demo_engine):
    linked = {r["code"] for r in seed_rows("indicateurs") if r["action"] == "PE-1.1"}
    at = run_page(action="PE-1.1")
    indicators = next(table.value for table in at.main.dataframe if "Atteinte" in table.value.columns)
    assert set(indicators["Code"]) == linked
    # PE-PLACES-EAJE: latest result 115 on 2026-09-30 = its target → atteint (docs/rules.md, a ≥ 1).
    assert indicators.set_index("Code").loc["PE-PLACES-EAJE", "Statut"] == "✔ Atteint"


def test_fiche_lists_funding_lines_in_euros(demo_engine):
    lines = [r for r in seed_rows("financements") if r["action"] == "PAR-1.1"]
    at = run_page(action="PAR-1.1")
    funding = at.main.dataframe[-1].value
    assert len(funding) == len(lines)
    assert sorted(funding["Prévu"]) == sorted(french_money(r["montant_prevu"]) for r in lines)
    assert sorted(funding["Année"]) == sorted(r["annee"] for r in lines)


def test_late_action_fiche_says_so_in_words(demo_engine):
    row = next(r for r in ACTIONS if is_late(r))
    at = run_page(action=row["code"])
    day, month, year = row["date_fin"][8:10], row["date_fin"][5:7], row["date_fin"][:4]
    assert any(
        f"En retard : échéance dépassée depuis le {day}/{month}/{year}" in t.replace("**", "")
        for t in markdown_texts(at)
    )


def test_notes_read_as_a_timeline_most_recent_first_and_are_never_interpreted(demo_engine):
    with Session(demo_engine) as session:
        action_id = session.exec(select(m.Action.id).where(m.Action.code == "PE-1.1")).one()
        session.add(
            m.ActionNote(
                action_id=action_id, noted_on=date(2025, 3, 4), text="Permis de construire déposé.", author="SIMAJE"
            )
        )
        session.add(
            m.ActionNote(
                action_id=action_id,
                noted_on=date(2026, 9, 1),
                text="**Ouverture** [ici](javascript:alert(1)) <b>ok</b> :red[rouge]",
                author="Chargée de coopération",
            )
        )
        session.commit()
    at = run_page(action="PE-1.1")
    raw = [block.value for block in at.main.markdown]
    dates = [text for text in raw if text.startswith("**") and re.match(r"\*\*\d\d/\d\d/\d{4}\*\*", text)]
    assert [plain(d).replace("**", "") for d in dates] == ["01/09/2026 — Chargée de coopération", "04/03/2025 — SIMAJE"]
    note = next(text for text in raw if "alert" in text)
    assert plain(note) == "**Ouverture** [ici](javascript:alert(1)) <b>ok</b> :red[rouge]"
    for special in "*[]()<>:":
        assert all(note[i - 1] == "\\" for i, c in enumerate(note) if c == special)


def test_choosing_an_action_puts_it_in_the_url(demo_engine):
    at = run_page()
    assert not at.main.subheader
    fiche_selectbox(at).set_value("PE-2.1").run()
    assert not at.exception
    assert at.query_params["action"] == "PE-2.1"
    assert plain(at.main.subheader[0].value).startswith("PE-2.1 — ")


def test_deep_link_opens_the_fiche_even_when_page_filters_hide_the_action(demo_engine):
    at = run_page(action="PE-1.1")
    at.toggle(key="actions_late_only").set_value(True).run()  # PE-1.1 is not late
    assert not at.exception
    assert "PE-1.1" not in set(actions_table(at)["Code"])
    assert plain(at.main.subheader[0].value).startswith("PE-1.1 — ")


def test_unknown_action_in_the_link_is_a_warning_not_an_error(demo_engine):
    at = run_page(action="XX-9")
    assert [plain(w.value) for w in at.main.warning] == ["Aucune action « XX-9 » dans cette convention."]
