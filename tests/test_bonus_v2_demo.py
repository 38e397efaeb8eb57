"""The demo for 2024 under rules v2: the page's totals add up and the alerts are the real
discrepancies only. Expected figures are summed here from the seed README's table (dû connu),
not read from the code under test."""

from decimal import Decimal as D

from ctg_data import formats as fmt
from tests.test_funding_pages import metrics, page

# 2024 lines of the README table whose due is known: (due, notified, paid).
KNOWN_2024 = [
    (D("77500.00"), D("77500.00"), D("77500.00")),  # eaje-souris-verte
    (D("186000.00"), D("176700.00"), D("176700.00")),  # eaje-saint-vincent
    (D("0.00"), D("36000.00"), D("18000.00")),  # mc-ptits-bergers, hors PSU
    (D("12000.00"), D("12000.00"), D("12000.00")),  # rpe-pays-lourdes
    (D("22000.00"), D("22000.00"), D("22000.00")),  # alsh-biscaye
    (D("14490.00"), D("14490.00"), D("14490.00")),  # alsh-batsurguere
    (D("2790.00"), D("2790.00"), D("2790.00")),  # aj-ophite
    (D("4500.00"), D("4500.00"), D("4500.00")),  # laep-ophite
    (D("2486.34"), D("2486.34"), D("2486.34")),  # ludo-municipale
    (D("1653.01"), D("1653.01"), D("1653.01")),  # ludo-lannedarre
    (D("0.00"), D("0"), D("0")),  # cs-lorda, hors bonus
    (D("0.00"), D("0"), D("0")),  # cs-lorda-lannedarre, hors bonus
]


def test_the_demo_2024_totals_add_up_and_unknown_due_is_apart(demo_app):
    at = page("bonus_territoire", annee="2024")
    due, notified, paid = (sum(line[i] for line in KNOWN_2024) for i in range(3))
    shown = metrics(at)
    assert (shown["Dû"], shown["Notifié"], shown["Versé"]) == (fmt.money(due), fmt.money(notified), fmt.money(paid))
    assert shown["Écart notifié − dû"] == fmt.money(notified - due) == fmt.money(D("26700.00"))
    captions = "\n".join(caption.value for caption in at.caption)
    # alsh-lorda 2024: activity missing, 9 720,00 notified and 6 804,00 paid, counted apart.
    assert f"Dû inconnu : 1 ligne, {fmt.money(D('9720.00'))} notifiés, {fmt.money(D('6804.00'))} versés" in captions


def test_the_demo_2024_alerts_are_the_three_real_discrepancies(demo_app):
    at = page("bonus_territoire", annee="2024")
    assert metrics(at)["Lignes en alerte"] == "3"  # saint-vincent, alsh-lorda, mc-ptits-bergers
    rows = at.dataframe[0].value.set_index("Code équipement")
    assert rows.loc["cs-lorda", "Alertes"] == "" and rows.loc["cs-lorda", "Information"] == "hors bonus"
    assert rows.loc["mc-ptits-bergers", "Alertes"] == "⚠ hors PSU"
