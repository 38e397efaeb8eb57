"""The demo for 2024 under rules v2: the page's totals add up and the alerts are the real
discrepancies only. Expected figures are summed here from the seed README's table (dû connu),
not read from the code under test."""

from decimal import Decimal as D

from tests.test_funding_pages import NBSP, NNBSP, euros, metrics, page, table

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
    assert (due, notified, paid) == (D("323419.35"), D("350119.35"), D("332119.35"))
    shown = metrics(at)
    assert (shown["Dû"], shown["Notifié"], shown["Versé"]) == (
        euros("323 419,35"),
        euros("350 119,35"),
        euros("332 119,35"),
    )
    assert shown["Écart notifié − dû"] == euros("26 700,00")  # 350 119,35 − 323 419,35
    captions = "\n".join(caption.value for caption in at.caption)
    # alsh-lorda 2024: activity missing, 9 720,00 notified and 6 804,00 paid, counted apart.
    assert f"Dû inconnu : 1 ligne, {euros('9 720,00')} notifiés, {euros('6 804,00')} versés" in captions


def test_the_demo_2024_alerts_are_the_three_real_discrepancies(demo_app):
    at = page("bonus_territoire", annee="2024")
    assert metrics(at)["Lignes en alerte"] == "3"
    rows = table(at)
    # In the order of the facility codes: alsh-lorda, eaje-saint-vincent, mc-ptits-bergers.
    assert list(rows.index) == [
        "Accueil de loisirs du centre socio-culturel Lorda",
        "Multi-accueil Saint-Vincent-de-Paul",
        "Micro-crèche Les P'tits Bergers (Ophite)",
        "Total (2 lignes au dû connu)",
        "Dû inconnu (1 ligne, hors total)",
    ]
    assert rows.loc["Micro-crèche Les P'tits Bergers (Ophite)", "Alerte ou information"] == "⚠ hors PSU"
    # Saint-Vincent: 57 existing places at the CAF's smoothed rate + 3 new ones at the national rate.
    why = rows.loc["Multi-accueil Saint-Vincent-de-Paul", "Pourquoi"].replace(NNBSP, " ").replace(NBSP, " ")
    assert why.startswith("57 places existantes × 3 100,00 € + 3 places nouvelles × 3 100,00 € = 186 000,00 €")
    total = rows.loc["Total (2 lignes au dû connu)"]
    assert (total["Dû"], total["Notifié"], total["Versé"]) == (
        euros("186 000,00"),
        euros("212 700,00"),
        euros("194 700,00"),
    )  # saint-vincent + ptits-bergers
    at.radio(key="bonus_view").set_value("informations").run()
    rows = table(at)
    assert rows.loc["Centre socio-culturel Lorda", "Alerte ou information"] == "hors bonus"
