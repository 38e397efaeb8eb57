"""Funding read side on a small convention whose every figure is worked out by hand below
(docs/rules.md "Bonus territoire CTG" and "Reconciliation"), on SQLite and PostgreSQL."""

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ctg_data.errors import SettingError
from ctg_data.interchange import load_folder
from ctg_data.queries import funding as q
from ctg_data.reports import bonus_report, funding
from ctg_data.rules.reconciliation import Flag
from tests.csv_folder import write_folder

D = Decimal
CENT = D("0.01")
YEAR = 2024  # a leap year: 366 days


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Hand-computed dues for 2024 (the rules, written out):
DUE_EAJE_A = D(30) * D("3100")  # activity places (30) win over the facility's 25; class B row
DUE_EAJE_N = cents(D(10) * D("2600") * D(306) / D(366))  # fallback row; open from 1 March: 306 days
DUE_ALSH_K = D("22000")  # 50 500 h × 0,45 = 22 725 → capped at 22 000
DUE_POST = cents(D("52000") * D("62.43") / D(100))  # under the cap 48 000 × 0,8 ETP = 38 400


def org(code, name, kind):
    return {"code": code, "nom": name, "type": kind}


def facility(code, kind, insee, manager, *, places="", psu="", territory="B", opens="2010-01-04", closes=""):
    return {
        "convention": "ctg-f",
        "code": code,
        "nom": f"Équipement {code}",
        "type": kind,
        "code_insee": insee,
        "gestionnaire": manager,
        "places": places,
        "psu": psu,
        "classe_territoire": territory,
        "date_ouverture": opens,
        "date_fermeture": closes,
    }


def rate(year, lever, kind, territory, basis, amount, floor="", cap=""):
    return {
        "annee": year,
        "levier": lever,
        "type_equipement": kind,
        "classe_territoire": territory,
        "base": basis,
        "montant": amount,
        "plancher": floor,
        "plafond": cap,
        "source": "test",
    }


def line(
    lever,
    year,
    funder,
    beneficiary,
    *,
    equipement="",
    action="",
    poste="",
    domaine="",
    planned="",
    notified="",
    paid="",
    comment="",
):
    return {
        "convention": "ctg-f",
        "levier": lever,
        "annee": year,
        "financeur": funder,
        "beneficiaire": beneficiary,
        "equipement": equipement,
        "action": action,
        "poste": poste,
        "domaine": domaine,
        "montant_prevu": planned,
        "montant_notifie": notified,
        "montant_verse": paid,
        "commentaire": comment,
        # Paid beyond notified (an overpayment the alerts show) is imported with its reason.
        "motif_derogation": "Trop-perçu à récupérer" if paid and notified and _euros(paid) > _euros(notified) else "",
    }


def _euros(typed: str) -> Decimal:
    return Decimal(typed.replace(" ", "").replace(",", "."))


BONUS, COORD = "bonus_territoire", "cofinancement_coordination"
LINES = [
    line(
        BONUS,
        2023,
        "caf",
        "synd",
        equipement="EAJE-A",
        domaine="petite_enfance",
        planned="75000",
        notified="75000",
        paid="75000",
    ),
    line(
        BONUS,
        2024,
        "caf",
        "synd",
        equipement="EAJE-A",
        domaine="petite_enfance",
        planned="93000",
        notified="90000",
        paid="95000",
        comment='=HYPERLINK("http://x")',
    ),
    line(BONUS, 2024, "caf", "priv", equipement="EAJE-N", domaine="petite_enfance", notified="21737.70", paid="10000"),
    line(BONUS, 2024, "caf", "asso", equipement="ALSH-J", domaine="enfance", paid="5000"),
    line(BONUS, 2024, "caf", "synd", equipement="ALSH-K", domaine="enfance", notified="22 000,00", paid="22000"),
    line(BONUS, 2024, "caf", "ville", equipement="LUDO", domaine="parentalite", notified="5000"),
    line(COORD, 2024, "caf", "ville", poste="COORD", planned="32463.60", notified="30000", paid="30000"),
    line("cofinancement_diagnostic", 2024, "caf", "ville", action="PE-1", planned="7500", notified="7500", paid="8000"),
    line(
        "cofinancement_ingenierie",
        2024,
        "caf",
        "asso",
        action="PE-1",
        domaine="petite_enfance",
        planned="3000",
        paid="1000",
    ),
    line("subvention", 2024, "ville", "asso", action="PE-1", domaine="parentalite", planned="1000"),
    line(
        "prestation_service",
        2023,
        "caf",
        "synd",
        equipement="EAJE-A",
        domaine="petite_enfance",
        planned="50000",
        notified="50000",
        paid="40000",
    ),
]


def funding_convention() -> dict[str, list[dict]]:
    return {
        "organisations": [
            org("caf", "CAF test", "caf"),
            org("ville", "Ville test", "commune"),
            org("synd", "Syndicat test", "syndicat"),
            org("asso", "Association test", "association"),
            org("priv", "Micro-crèche privée", "association"),
        ],
        "communes": [
            {"code_insee": "65286", "nom": "Lourdes", "population": "", "enfants_moins_3_ans": "", "qpv": ""},
            {"code_insee": "65233", "nom": "Jarret", "population": "", "enfants_moins_3_ans": "", "qpv": ""},
        ],
        "conventions": [
            {
                "code": "ctg-f",
                "nom": "CTG financements",
                "territoire": "",
                "date_signature": "",
                "date_debut": "2023-01-01",
                "date_fin": "2026-12-31",
            }
        ],
        "signataires": [
            {"convention": "ctg-f", "organisation": code, "representant": "", "qualite": ""}
            for code in ("caf", "ville", "synd")
        ],
        "perimetre": [{"convention": "ctg-f", "code_insee": "65286"}, {"convention": "ctg-f", "code_insee": "65233"}],
        "actions": [
            {
                "convention": "ctg-f",
                "code": "PE-1",
                "intitule": "Étude petite enfance",
                "domaine": "petite_enfance",
                "orientation": "",
                "pilote": "ville",
                "partenaires": "",
                "public_cible": "",
                "communes": "65286",
                "statut": "en_cours",
                "priorite": "",
                "date_debut": "",
                "date_fin": "",
                "avancement": "",
                "poids": "",
                "budget_prevu": "",
                "description": "",
            }
        ],
        "equipements": [
            facility("EAJE-A", "eaje", "65286", "synd", places="25", psu="oui", opens="2020-01-06"),
            facility("EAJE-N", "eaje", "65286", "priv", places="10", psu="non", territory="", opens="2024-03-01"),
            facility("ALSH-J", "alsh", "65233", "ville"),
            facility("ALSH-K", "alsh", "65286", "synd"),
            facility("LUDO", "ludotheque", "65286", "ville", closes="2023-12-31"),
            facility("RPE", "rpe", "65233", "ville"),
            facility("LAEP-Z", "laep", "65286", "ville", closes="2022-12-31"),
        ],
        "activite": [
            {
                "convention": "ctg-f",
                "equipement": "EAJE-A",
                "annee": "2024",
                "places": "30",
                "heures_realisees": "",
                "heures_facturees": "",
                "etp": "",
            },
            {
                "convention": "ctg-f",
                "equipement": "ALSH-K",
                "annee": "2024",
                "places": "",
                "heures_realisees": "50500",
                "heures_facturees": "",
                "etp": "",
            },
        ],
        "bareme": [
            rate(2023, BONUS, "eaje", "B", "par_place", "3000"),
            rate(2024, BONUS, "eaje", "B", "par_place", "3100"),
            rate(2024, BONUS, "eaje", "", "par_place", "2600"),
            rate(2024, BONUS, "alsh", "", "par_heure", "0.45", cap="22000"),
            rate(2024, BONUS, "ludotheque", "", "forfait", "5000"),
            rate(2024, COORD, "", "", "taux_cout", "62.43", cap="48000"),
        ],
        "postes": [
            {
                "convention": "ctg-f",
                "code": "COORD",
                "intitule": "Coordination",
                "employeur": "ville",
                "etp": "0.8",
                "date_debut": "2023-09-01",
                "date_fin": "",
                "cout_annuel": "52000",
            }
        ],
        "financements": LINES,
    }


def load(engine, tmp_path, sheets=None) -> int:
    report = load_folder(write_folder(tmp_path / "ctg-f", sheets or funding_convention()), actor="test", engine=engine)
    assert report.ok, [str(e) for e in report.errors]
    return q.convention_by_code(engine, "ctg-f")["id"]


def by_facility(frame):
    return {row["facility"]: row for row in frame.to_dict("records")}


@pytest.fixture
def convention(engine, tmp_path):
    return load(engine, tmp_path)


def test_each_facility_gets_its_hand_computed_due_and_the_flags_planted_for_it(engine, convention):
    rows = by_facility(bonus_report.bonus_reconciliation(engine, convention, (YEAR,)))
    expected = {  # facility: (due, notified, paid, flags)
        "EAJE-A": (D("93000.00"), D("90000.00"), D("95000.00"), ("ecart_notifie", "trop_verse")),
        # Rules v2: an EAJE outside PSU is owed 0,00 €; "hors PSU" replaces "écart notifié".
        "EAJE-N": (D("0.00"), D("21737.70"), D("10000.00"), ("hors_psu",)),
        "ALSH-J": (
            None,
            None,
            D("5000.00"),
            ("verse_sans_notification", "activite_manquante", "gestionnaire_non_signataire"),
        ),
        "ALSH-K": (DUE_ALSH_K, D("22000.00"), D("22000.00"), ()),
        "LUDO": (D("0.00"), D("5000.00"), None, ("equipement_ferme",)),  # v2: one flag says why
        "RPE": (None, None, None, ("sans_bareme",)),
    }
    assert set(rows) == set(expected)  # LAEP-Z: closed all year and unfunded, so not listed
    for code, (due, notified, paid, flags) in expected.items():
        row = rows[code]
        assert (row["due"], row["notified"], row["paid"], row["flag_codes"]) == (due, notified, paid, flags), code
    assert rows["EAJE-A"]["due"] == DUE_EAJE_A
    assert rows["EAJE-A"]["gap_notified"] == D("90000") - DUE_EAJE_A
    assert rows["EAJE-A"]["gap_paid"] == D("95000") - D("90000")
    assert rows["ALSH-J"]["reasons"].endswith("ni gestionnaire : asso")
    assert rows["EAJE-A"]["comments"] == '=HYPERLINK("http://x")'
    assert rows["EAJE-N"]["explanation"] == "EAJE hors PSU (micro-crèche PAJE) : pas de bonus territoire"
    assert rows["EAJE-N"]["information"] == "hors PSU"


def test_a_facility_is_listed_for_every_requested_year_with_that_years_barème(engine, convention):
    rows = bonus_report.bonus_reconciliation(engine, convention, (2023, 2024))
    eaje_a = rows[rows["facility"] == "EAJE-A"].set_index("year")
    assert eaje_a.loc[2023, "due"] == D(25) * D("3000")  # no 2023 activity: the facility's places
    assert eaje_a.loc[2023, "flag_codes"] == ()
    assert eaje_a.loc[2024, "due"] == DUE_EAJE_A
    # 2023 has no bonus barème for ALSH: "sans barème", never a silent 0.
    alsh = rows[(rows["facility"] == "ALSH-K") & (rows["year"] == 2023)].iloc[0]
    assert alsh["due"] is None and alsh["flag_codes"] == ("sans_bareme",)


def test_the_commune_filter_keeps_the_facilities_of_that_commune(engine, convention):
    rows = bonus_report.bonus_reconciliation(engine, convention, (YEAR,), "65233")
    assert sorted(rows["facility"]) == ["ALSH-J", "RPE"]


def test_manager_totals_are_the_sums_of_their_facility_rows(engine, convention):
    rows = bonus_report.bonus_reconciliation(engine, convention, (YEAR,))
    totals = {row["manager"]: row for row in bonus_report.manager_totals(rows).to_dict("records")}
    synd = totals["synd"]
    assert synd["due"] == DUE_EAJE_A + DUE_ALSH_K == D("115000.00")
    assert (synd["notified"], synd["paid"]) == (D("90000") + D("22000"), D("95000") + D("22000"))
    assert (synd["gap_notified"], synd["gap_paid"]) == (D("-3000.00"), D("5000.00"))
    assert (synd["facilities"], synd["flagged"], synd["unknown_due"]) == (2, 1, 0)
    ville = totals["ville"]  # ALSH-J (unknown), LUDO (0,00 closed), RPE (sans barème)
    # Rules v2 totals: due, notified and paid over the one line whose due is known (LUDO); the
    # two unknown lines apart (ALSH-J: 5 000,00 paid, nothing notified; RPE: no money).
    assert (ville["due"], ville["notified"], ville["paid"]) == (D("0.00"), D("5000.00"), D("0.00"))
    assert (ville["gap_notified"], ville["gap_paid"]) == (D("5000.00"), D("-5000.00"))
    assert (ville["facilities"], ville["unknown_due"], ville["flagged"]) == (1, 2, 3)
    assert (ville["unknown_notified"], ville["unknown_paid"]) == (D("0.00"), D("5000.00"))
    assert totals["priv"]["due"] == D("0.00")


def test_the_tolerance_is_read_from_the_environment(engine, convention, monkeypatch):
    monkeypatch.setenv("CTG_TOLERANCE_ABS", "5000")
    rows = by_facility(bonus_report.bonus_reconciliation(engine, convention, (YEAR,)))
    assert rows["EAJE-A"]["flag_codes"] == ("trop_verse",)  # 3 000 € ≤ max(5 000, 930)
    assert rows["LUDO"]["flag_codes"] == ("equipement_ferme",)  # 5 000 € is not above 5 000 €


def test_a_tolerance_that_is_not_a_number_is_refused_in_french(monkeypatch):
    for wrong in ("un pour cent", "nan", "-1"):
        monkeypatch.setenv("CTG_TOLERANCE_REL", wrong)
        with pytest.raises(
            SettingError, match=f"Le réglage CTG_TOLERANCE_REL vaut « {wrong} » : un nombre positif ou nul est attendu"
        ):
            funding.tolerance_settings()
    monkeypatch.setenv("CTG_TOLERANCE_REL", "0,02")
    assert funding.tolerance_settings().tolerance_rel == D("0.02")


def test_a_facility_page_shows_its_barème_rows_activity_and_funding_lines(engine, convention):
    detail = bonus_report.facility_detail(engine, convention, "EAJE-A", (2023, 2024, 2025, 2026))
    rates = detail["rates"].to_dict("records")
    assert [(r["Année"], r["Classe de territoire"], r["Montant"], r["Appliqué"]) for r in rates] == [
        (2023, "B", D("3000"), "oui"),
        (2024, "toutes (taux de repli)", D("2600"), "non"),
        (2024, "B", D("3100"), "oui"),
    ]
    assert detail["activity"].to_dict("records") == [
        {"Année": 2024, "Places": 30, "Heures réalisées": None, "Heures facturées": None, "ETP": None}
    ]
    assert sorted(zip(detail["lines"]["Année"], detail["lines"]["Levier"], strict=True)) == [
        (2023, "Bonus territoire CTG"),
        (2023, "Prestation de service"),
        (2024, "Bonus territoire CTG"),
    ]
    assert list(detail["years"]["year"]) == [2023, 2024, 2025, 2026]
    assert bonus_report.facility_detail(engine, convention, "NOPE", (2024,)) is None


def test_a_coordination_post_is_due_its_capped_cost_share(engine, convention):
    posts = funding.post_reconciliation(engine, convention, (YEAR,)).to_dict("records")
    assert len(posts) == 1
    post = posts[0]
    assert post["due"] == DUE_POST == D("32463.60")
    assert (post["notified"], post["paid"]) == (D("30000.00"), D("30000.00"))
    assert post["flag_codes"] == ("ecart_notifie",)  # 2 463,60 € > 1 % of the due


def test_diagnostic_and_engineering_lines_flag_overpayment_and_non_signatories(engine, convention):
    rows = {row["lever"]: row for row in funding.cofunding_report(engine, convention, (YEAR,)).to_dict("records")}
    assert rows["cofinancement_diagnostic"]["flag_labels"] == "⚠ trop versé"
    assert rows["cofinancement_diagnostic"]["gap_paid"] == D("500.00")
    assert rows["cofinancement_ingenierie"]["flag_labels"] == (
        "⚠ versé sans notification ; bénéficiaire non signataire"
    )


def _line_total(lines, stage, keep=lambda line: True):
    column = {"planned": "montant_prevu", "notified": "montant_notifie", "paid": "montant_verse"}[stage]
    return sum(
        (D(line[column].replace(" ", "").replace(",", ".")) for line in lines if line[column] and keep(line)), D(0)
    )


def test_every_lever_view_adds_up_to_the_sum_of_all_lines(engine, convention):
    breakdown = funding.lever_breakdown(engine, convention)
    totals = funding.stage_totals(breakdown)
    for stage in funding.STAGES:
        assert totals[stage] == _line_total(LINES, stage), stage
    for dimension in funding.BREAKDOWN_DIMENSIONS:
        per_value = funding.breakdown_by(breakdown, dimension)
        for stage in funding.STAGES:
            assert funding.total(per_value[stage]) == totals[stage], (dimension, stage)
    assert int(breakdown["lines"].sum()) == len(LINES)


def test_lever_filters_on_year_domain_and_commune(engine, convention):
    in_2024 = funding.stage_totals(funding.lever_breakdown(engine, convention, 2024))
    assert in_2024["paid"] == _line_total(LINES, "paid", lambda line: line["annee"] == 2024)
    # A line without a domain takes its action's: the diagnostic line counts as petite enfance.
    early = funding.lever_breakdown(engine, convention, domain_code="petite_enfance")
    assert funding.stage_totals(early)["planned"] == D("75000") + D("93000") + D("7500") + D("3000") + D("50000")
    jarret = funding.lever_breakdown(engine, convention, insee_code="65233")
    assert funding.stage_totals(jarret) == {"planned": None, "notified": None, "paid": D("5000.00")}


# ---------------------------------------------------------------- the demo convention

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "lourdes-2023"
LABEL_TO_FLAG = {flag.label_fr: flag.value for flag in Flag}


def readme_discrepancies() -> list[dict]:
    """The table "Écarts volontaires à détecter" of the demo's README, parsed."""
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Écarts volontaires", 1)[1].split("\n## ", 1)[0]
    found = []
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if not cells[0].isdigit():
            continue
        _, code, year, lever, beneficiary, due, notified, paid, alert = cells
        found.append(
            {
                "facility": code.strip("`"),
                "year": int(year),
                "lever": lever,
                "beneficiary": beneficiary,
                "due": _readme_amount(due),
                "notified": _readme_amount(notified),
                "paid": _readme_amount(paid),
                "flags": {LABEL_TO_FLAG[label] for label in LABEL_TO_FLAG if label in alert},
            }
        )
    return found


def _readme_amount(text: str) -> Decimal | None:
    digits = text.replace(" ", "").replace("\u202f", "").replace(",", ".")
    return D(digits) if re.fullmatch(r"\d+\.\d\d", digits) else None  # "—", "non calculable"


def test_the_demo_yields_each_deliberate_discrepancy_of_its_readme_as_its_flag(engine):
    assert load_folder(DEMO, actor="test", engine=engine).ok
    convention = q.convention_by_code(engine, "ctg-lourdes-2023")["id"]
    report = bonus_report.bonus_reconciliation(engine, convention, (2023, 2024, 2025, 2026))
    rows = {(row["facility"], row["year"]): row for row in report.to_dict("records")}
    expected = readme_discrepancies()
    assert len(expected) == 7 and all(case["flags"] for case in expected)
    assert {"equipement_ferme"} == expected[3]["flags"]  # rules v2: replaces "écart notifié"
    for case in expected:
        row = rows[(case["facility"], case["year"])]
        where = (case["facility"], case["year"])
        assert (row["due"], row["notified"], row["paid"]) == (case["due"], case["notified"], case["paid"]), where
        # The README allows an extra "écart notifié" where nothing (due or notified) is known.
        assert case["flags"] <= set(row["flag_codes"]) <= case["flags"] | {"ecart_notifie"}, where
    # "Tous les autres couples équipement-année du bonus sont conformes."
    listed = {(case["facility"], case["year"]) for case in expected}
    funded = [key for key, row in rows.items() if row["notified"] is not None or row["paid"] is not None]
    assert [key for key in funded if key not in listed and rows[key]["flag_codes"]] == []
    assert "lorda" in rows[("alsh-biscaye", 2025)]["reasons"]

    simaje = bonus_report.manager_totals(report[report["year"] == 2024]).set_index("manager").loc["simaje"]
    assert (simaje["due"], simaje["notified"], simaje["paid"]) == (D("311990.00"), D("302690.00"), D("302690.00"))
    assert simaje["gap_notified"] == D("-9300.00") and simaje["flagged"] == 1
