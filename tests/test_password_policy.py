"""The password policy refuses common and keyboard passwords (zxcvbn's lists and scoring, with
the French words guessers try first), and e-mail addresses are checked strictly."""

import pytest

from ctg_data import accounts
from ctg_data.accounts import passwords


@pytest.mark.parametrize(
    "password",
    [
        "Password1234",
        "azertyuiop12",
        "Azerty123456",
        "qwertyuiop12",
        "motdepasse2024",
        "1qaz2wsx3edc",
        "Bonjour12345",
        "aaaaaaaaaaa1",
    ],
)
def test_common_and_keyboard_passwords_are_refused_in_french(password):
    with pytest.raises(accounts.PasswordPolicyError, match="trop facile à deviner"):
        accounts.check_policy(password, "agent@ville.fr")


@pytest.mark.parametrize(
    "password",
    [
        "bonne-phrase-2026",
        "Crèche-Coustète-2026",
        "Rapprochement-2026",
        "copil-demo-2023",
        "kX7p-Rz3m-Tq8w-Hn4c",
    ],
)
def test_passphrases_and_random_passwords_are_accepted(password):
    assert accounts.policy_problems(password, "agent@ville.fr") == []


def test_every_demo_password_and_generated_password_passes():
    for account in accounts.DEMO_ACCOUNTS:
        assert accounts.policy_problems(account.password, account.email) == []
    for _ in range(20):
        assert accounts.policy_problems(passwords.generate_password("agent@ville.fr"), "agent@ville.fr") == []


def test_a_very_long_password_is_scored_on_its_start_and_refused_beyond_the_maximum():
    assert accounts.policy_problems("Crèche-Coustète-2026-" * 5, "agent@ville.fr") == []
    assert any("dépasser" in p for p in accounts.policy_problems("Crèche-Coustète-2026" * 20, None))


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    "address",
    [
        "<svg/onload=alert(1)>@x.ctg",
        "a@b",
        "a b@ville.fr",
        "[lien](javascript:x)@ville.fr",
        "agent@ville..fr",
        ".agent@ville.fr",
        "agent@-ville.fr",
        "agent@ville.f",
        "a" * 250 + "@ville.fr",
        "agent@@ville.fr",
        "**gras**@ville.fr",
    ],
)
def test_addresses_are_checked_strictly(address):
    with pytest.raises(accounts.AccountError, match="n'est pas une adresse e-mail valable"):
        accounts.normalise_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "Agent@Ville.FR",
        "prenom.nom@caf65.caf.fr",
        "a+tag@demo.ctg",
        "marie-claire_d@ccas-lourdes.fr",
    ],
)
def test_ordinary_addresses_are_accepted_in_lower_case(address):
    assert accounts.normalise_email(f"  {address} ") == address.lower()
