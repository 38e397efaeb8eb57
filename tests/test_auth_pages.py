"""Sign-in as a person meets it, run by AppTest on the demo database: every page opened by a
direct link with no session shows the sign-in and no data; the form signs in, slows down and
locks wrong passwords, says the same thing for unknown addresses; sessions end on sign-out, on
inactivity, when the account is disabled and when its password changes elsewhere; roles see only
their pages and conventions."""

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ctg_data import accounts
from ctg_data import models as m
from ctg_data.actors import COMMAND_LINE, Actor, Role
from ctg_data.ui import auth
from tests.conftest import DEMO_SEED, sign_in

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(path.name for path in (ROOT / "pages").glob("*.py"))
DEMO = {account.role: account for account in accounts.DEMO_ACCOUNTS}
DATA_WORDS = ("Tarbes", "Taux de couverture", "SIMAJE", "Lourdes", "Souris verte")
pytestmark = pytest.mark.usefixtures("cheap_argon2")


class Clock:
    """The sign-in's clock, moved by the test: waits are enforced by the database, and a test
    waits by moving this clock rather than by sleeping."""

    def __init__(self):
        self.now = auth.clock()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def demo(demo_engine, monkeypatch):
    """The demo database with its demo accounts, and the sign-in's clock."""
    accounts.create_demo_accounts(demo_engine)
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    return demo_engine, clock


def page(name: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    at.query_params.update(params)
    return at


def entrypoint(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update(params)
    return at


def planned_on_leviers() -> dict[str, str]:
    """The Leviers page's « Prévu » tile for the demo convention, from the seed's CSV: every
    funding line's planned amount, in French (narrow no-break space between thousands)."""
    with open(DEMO_SEED / "financements.csv", encoding="utf-8", newline="") as handle:
        total = sum(
            Decimal(row["montant_prevu"])
            for row in csv.DictReader(handle)
            if row["convention"] == "ctg-lourdes-2023" and row["montant_prevu"]
        )
    whole, cents = f"{total:,.2f}".split(".")
    return {"Prévu": whole.replace(",", "\u202f") + "," + cents + "\u00a0€"}


def tiles(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric if metric.label == "Prévu"}


def actor_of(engine, email: str) -> Actor:
    with Session(engine) as session:
        user = session.exec(select(m.User).where(m.User.email == email)).one()
        return Actor(email=user.email, role=Role(user.role), user_id=user.id, organisation_id=user.organisation_id)


def texts(at) -> list[str]:
    """Every piece of text the run rendered under `at` (an AppTest, or `at.main` for the page
    without its sidebar)."""
    found = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
        "code",
        "metric",
    ):
        for element in at.get(kind):
            found.append(str(getattr(element, "value", "")) + " " + str(getattr(element, "label", "")))
    return found


def fill_sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="ctg_sign_in_email").input(email)
    at.text_input(key="ctg_sign_in_password").input(password)
    return at.button(key="FormSubmitter:ctg_sign_in-Se connecter").click().run()


def shows_sign_in(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["Connexion"] and [w.label for w in at.text_input] == [
        "Adresse e-mail",
        "Mot de passe",
    ]


def assert_no_data(at: AppTest) -> None:
    assert not at.get("arrow_data_frame") and not at.metric and not at.get("vega_lite_chart")
    assert not at.sidebar.selectbox  # the filters come after the sign-in
    rendered = " ".join(texts(at.main))  # the sidebar may name the person: "Agent du SIMAJE"
    for word in DATA_WORDS:
        assert word not in rendered


# ------------------------------------------------------------------ deep links, no session


@pytest.mark.parametrize("name", PAGES)
def test_a_page_opened_directly_without_a_session_shows_the_sign_in_and_no_data(demo, name):
    at = page(name, indicateur="TX-COUV-PE", action="PE-1.1", equipement="souris-verte").run()
    assert not at.exception, [e.message for e in at.exception]
    assert shows_sign_in(at)
    assert_no_data(at)


def test_the_entrypoint_without_a_session_shows_only_the_sign_in(demo):
    at = entrypoint().run()
    assert not at.exception
    assert shows_sign_in(at)
    assert_no_data(at)


def test_signing_in_on_a_deep_link_opens_the_linked_view(demo):
    at = page("indicateurs.py", indicateur="TX-COUV-PE").run()
    fill_sign_in(at, "Lecteur@Demo.ctg", DEMO["lecteur"].password)
    assert not at.exception
    assert [t.value for t in at.title] == ["Indicateurs"]
    assert any("TX\\-COUV\\-PE" in s.value for s in at.subheader)
    assert at.query_params["indicateur"] == "TX-COUV-PE"
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Élu du comité de pilotage" in sidebar and "Lecteur (comité de pilotage)" in sidebar
    assert "ctg_sign_in_password" not in at.session_state or not at.session_state["ctg_sign_in_password"]


# ------------------------------------------------------------------ the form under attack


def test_a_wrong_password_gets_the_generic_french_error_then_a_wait_kept_by_the_database(demo):
    _, clock = demo
    at = page("vue_ensemble.py").run()
    for _ in range(2):
        fill_sign_in(at, "lecteur@demo.ctg", "pas-le-bon-2026")
        assert [e.value for e in at.error] == [accounts.GENERIC_FAILURE]
        assert shows_sign_in(at)
    # A new session (another tab, another browser) gets the same wait: nothing sleeps.
    other = fill_sign_in(page("vue_ensemble.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    assert [e.value for e in other.error] == ["Trop de tentatives : réessayez dans 1 seconde."]
    clock.advance(1)
    fill_sign_in(other, "lecteur@demo.ctg", DEMO["lecteur"].password)
    assert [t.value for t in other.title] == ["Vue d'ensemble"] or not shows_sign_in(other)


def test_an_unknown_address_reads_exactly_like_a_wrong_password(demo):
    known = fill_sign_in(page("vue_ensemble.py").run(), "lecteur@demo.ctg", "pas-le-bon-2026")
    unknown = fill_sign_in(page("vue_ensemble.py").run(), "personne@demo.ctg", "pas-le-bon-2026")
    assert texts(known) == texts(unknown)


def test_repeated_failures_lock_the_account_even_for_the_right_password(demo):
    engine, clock = demo
    at = page("vue_ensemble.py").run()
    for wait in (0, 1, 2, 4, 0):
        fill_sign_in(at, "conseiller@demo.ctg", "pas-le-bon-2026")
        assert [e.value for e in at.error] == [accounts.GENERIC_FAILURE]
        clock.advance(wait)
    fill_sign_in(at, "conseiller@demo.ctg", DEMO["conseiller"].password)
    assert [e.value for e in at.error] == ["Trop de tentatives : réessayez dans 15 minutes."]
    assert shows_sign_in(at)
    with Session(engine) as session:
        operations = list(session.exec(select(m.SignInEvent.operation)))
    assert "connexion:verrouillage" in operations and "connexion:refus" in operations


def test_a_disabled_account_cannot_sign_in(demo):
    engine, _ = demo
    accounts.disable_user(engine, actor=COMMAND_LINE, email="lecteur@demo.ctg")
    at = fill_sign_in(page("vue_ensemble.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    assert [e.value for e in at.error] == [accounts.GENERIC_FAILURE]
    assert_no_data(at)


# ------------------------------------------------------------------ the session


def test_signing_out_forgets_the_session(demo):
    at = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    assert tiles(at) == planned_on_leviers()
    at.sidebar.button(key="ctg_sign_out").click().run()
    assert shows_sign_in(at)
    assert auth.ACTOR_KEY not in at.session_state
    assert any("Vous êtes déconnecté" in i.value for i in at.info)


def test_a_session_idle_for_too_long_ends(demo, monkeypatch):
    _, clock = demo
    at = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    monkeypatch.setenv("CTG_SESSION_MINUTES", "30")
    clock.advance(31 * 60)  # inactivity is measured by the session in the database
    at.run()
    assert shows_sign_in(at)
    assert any("expiré après 30 minutes d'inactivité" in i.value for i in at.info)


def test_an_active_session_stays_open(demo):
    _, clock = demo
    at = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    clock.advance(29 * 60)
    at.run()
    assert [t.value for t in at.title] == ["Leviers de financement"]


def test_disabling_an_account_ends_its_open_session_at_the_next_click(demo):
    engine, _ = demo
    at = fill_sign_in(page("leviers.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    assert tiles(at) == planned_on_leviers()
    accounts.disable_user(engine, actor=COMMAND_LINE, email="lecteur@demo.ctg")
    at.run()
    assert shows_sign_in(at)
    assert_no_data(at)


def test_changing_ones_password_ends_the_other_open_sessions(demo):
    engine, _ = demo
    laptop = fill_sign_in(page("leviers.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    phone = fill_sign_in(page("leviers.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    assert laptop.metric and phone.metric
    actor = actor_of(engine, "lecteur@demo.ctg")
    accounts.change_own_password(engine, actor, DEMO["lecteur"].password, "Rapprochement-2026", "Rapprochement-2026")
    phone.run()
    assert shows_sign_in(phone)
    assert_no_data(phone)
    assert any("Votre session a été fermée" in i.value for i in phone.info)


def test_signing_out_everywhere_ends_the_other_sessions_too(demo):
    laptop = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    phone = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    laptop.sidebar.button(key="ctg_sign_out_everywhere").click().run()
    assert shows_sign_in(laptop)
    phone.run()
    assert shows_sign_in(phone)
    again = fill_sign_in(page("leviers.py").run(), "admin@demo.ctg", DEMO["admin"].password)
    assert again.metric  # a new sign-in opens a new session


def test_a_password_set_by_an_admin_must_be_changed_before_anything_else(demo):
    engine, _ = demo
    temporary = accounts.reset_password(engine, actor=COMMAND_LINE, email="conseiller@demo.ctg")
    at = fill_sign_in(page("bonus_territoire.py").run(), "conseiller@demo.ctg", temporary)
    assert [t.value for t in at.title] == ["Changer votre mot de passe"]
    assert_no_data(at)
    submit = "FormSubmitter:ctg_change_password-Enregistrer le mot de passe"
    at.text_input(key="ctg_password_current").input(temporary)
    at.text_input(key="ctg_password_new").input("court-3")
    at.text_input(key="ctg_password_confirmation").input("court-3")
    at.button(key=submit).click().run()
    assert any("au moins 12 caractères" in e.value for e in at.error)
    at.text_input(key="ctg_password_current").input(temporary)
    at.text_input(key="ctg_password_new").input("Rapprochement-2026")
    at.text_input(key="ctg_password_confirmation").input("Rapprochement-2026")
    at.button(key=submit).click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Bonus territoire CTG"]
    assert accounts.verify_credentials(engine, "conseiller@demo.ctg", "Rapprochement-2026").role == Role.CONSEILLER


# ------------------------------------------------------------------ roles: pages and conventions


@pytest.mark.parametrize("name", ["controles.py", "comptes.py", "journal.py"])
@pytest.mark.parametrize("role", ["lecteur", "partenaire", "conseiller"])
def test_administration_pages_refuse_other_roles_even_by_direct_link(demo, name, role):
    engine, _ = demo
    at = sign_in(page(name), actor_of(engine, DEMO[role].email)).run()
    assert not at.exception
    assert any("n'est pas ouverte à votre rôle" in e.value for e in at.error)
    assert not at.get("arrow_data_frame") and not at.success


def test_a_partner_sees_the_conventions_its_organisation_takes_part_in(demo):
    engine, _ = demo
    partner = actor_of(engine, "partenaire@demo.ctg")
    at = sign_in(page("leviers.py"), partner).run()
    assert [t.value for t in at.title] == ["Leviers de financement"] and tiles(at) == planned_on_leviers()
    accounts.set_restricted(engine, actor=COMMAND_LINE, convention_code="ctg-lourdes-2023", restricted=True)
    at.run()
    assert any("Aucune convention ne vous est ouverte" in i.value for i in at.info)
    assert_no_data(at)
    accounts.set_member(
        engine, actor=COMMAND_LINE, convention_code="ctg-lourdes-2023", email=partner.email, member=True
    )
    at.run()
    assert tiles(at) == planned_on_leviers()


def test_a_convention_in_the_link_that_the_person_may_not_see_is_not_shown(demo):
    engine, _ = demo
    with Session(engine) as session:
        session.add(
            m.Convention(
                code="secrete",
                name="Convention secrète",
                starts_on=date(2024, 1, 1),
                ends_on=date(2027, 12, 31),
                restricted=True,
            )
        )
        session.commit()
    # Through the entrypoint, as a link opens the overview (it links to other pages).
    at = sign_in(entrypoint(convention="secrete"), actor_of(engine, "lecteur@demo.ctg")).run()
    assert not at.exception
    assert "Convention secrète" not in " ".join(texts(at))
    assert any("Tarbes" in t.value for t in at.text)
    admin = sign_in(entrypoint(convention="secrete"), actor_of(engine, "admin@demo.ctg")).run()
    assert any("Convention secrète" in t.value for t in admin.text)


# ------------------------------------------------------------------ single sign-on (OIDC)

SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "Zq3vN8pL1wR6tY0uK4sD7fH2jM5cB9xE",
        "client_id": "ctg",
        "client_secret": "s",
        "server_metadata_url": "https://annuaire.example/.well-known/openid-configuration",
    }
}


def test_the_directory_identity_signs_in_the_account_with_that_email(demo):
    at = page("leviers.py")
    at.secrets = dict(SECRETS)
    at.user = {"is_logged_in": True, "email": "Conseiller@demo.ctg", "email_verified": True}
    accounts.set_directory_sign_in(demo[0], actor=COMMAND_LINE, email="conseiller@demo.ctg", allowed=True)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Leviers de financement"]
    assert at.session_state[auth.ACTOR_KEY].role == Role.CONSEILLER


def test_a_directory_identity_without_an_account_gets_no_access(demo):
    at = page("vue_ensemble.py")
    at.secrets = dict(SECRETS)
    at.user = {"is_logged_in": True, "email": "inconnu@caf.fr", "email_verified": True}
    at.run()
    assert any("Aucun compte n'est associé à cette adresse" in e.value for e in at.error)
    assert_no_data(at)


def test_the_directory_button_is_offered_only_when_configured(demo, monkeypatch):
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    configured = page("vue_ensemble.py")
    configured.secrets = dict(SECRETS)
    configured.user = {"is_logged_in": False}
    configured.run()
    assert "Se connecter avec l'annuaire" in [b.label for b in configured.button]
    plain = page("vue_ensemble.py")
    plain.user = {"is_logged_in": True, "email": "admin@demo.ctg"}  # no [auth]: never trusted
    plain.run()
    assert shows_sign_in(plain)
    assert "Se connecter avec l'annuaire" not in [b.label for b in plain.button]


def test_a_directory_configured_without_authlib_says_so_instead_of_failing(demo, monkeypatch):
    monkeypatch.setattr(auth, "authlib_installed", lambda: False)
    at = page("vue_ensemble.py")
    at.secrets = dict(SECRETS)
    at.run()
    assert not at.exception and shows_sign_in(at)
    assert any("Authlib" in w.value for w in at.warning)


# ------------------------------------------------------------------ administration pages


def test_an_admin_creates_an_account_and_sees_its_temporary_password_once(demo):
    engine, _ = demo
    at = sign_in(page("comptes.py"), actor_of(engine, "admin@demo.ctg")).run()
    assert not at.exception
    at.text_input(key="comptes_create_email").input("nouvelle@ville.fr")
    at.text_input(key="comptes_create_name").input("Nouvelle")
    at.selectbox(key="comptes_create_role").select("partenaire")
    at.selectbox(key="comptes_create_organisation").select("ccas-lourdes")
    at.button(key="FormSubmitter:comptes_create-Créer le compte").click().run()
    assert not at.exception, [e.message for e in at.exception]
    password = at.code[0].value
    assert accounts.verify_credentials(engine, "nouvelle@ville.fr", password).role == Role.PARTENAIRE
    at.run()
    assert not at.code  # shown once
    table = at.dataframe[0].value
    assert "nouvelle@ville.fr" in list(table["Adresse e-mail"])


def test_an_address_with_markup_is_refused_and_shown_as_typed(demo):
    engine, _ = demo
    at = sign_in(page("comptes.py"), actor_of(engine, "admin@demo.ctg")).run()
    at.text_input(key="comptes_create_email").input("<svg/onload=alert(1)>@x.ctg")
    at.button(key="FormSubmitter:comptes_create-Créer le compte").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "n'est pas une adresse" in errors[0]
    assert "\\<svg/onload\\=alert\\(1\\)\\>" in errors[0]  # escaped: Markdown shows it as text
    assert not at.success and accounts.user_count(engine) == len(DEMO)


def test_the_journal_shows_sign_ins_failures_and_account_changes_to_admins(demo):
    engine, _ = demo
    fill_sign_in(page("vue_ensemble.py").run(), "lecteur@demo.ctg", "pas-le-bon-2026")
    fill_sign_in(page("leviers.py").run(), "lecteur@demo.ctg", DEMO["lecteur"].password)
    accounts.set_role(engine, actor=COMMAND_LINE, email="lecteur@demo.ctg", role="conseiller")
    at = sign_in(page("journal.py"), actor_of(engine, "admin@demo.ctg")).run()
    assert not at.exception
    operations = set(at.dataframe[0].value["Opération"])
    assert {"Connexion", "Échec de connexion", "Rôle changé", "Compte créé"} <= operations
    assert not any("$argon2" in str(value) for value in at.dataframe[0].value.to_numpy().ravel())


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2026, 7, 1, 10, 5), "01/07/2026 12:05"),  # summer: UTC+2
        (datetime(2026, 1, 15, 23, 30), "16/01/2026 00:30"),  # winter: UTC+1, the next day in Paris
    ],
)
def test_the_journal_shows_times_in_paris(demo, stored, shown):
    engine, _ = demo
    accounts.set_role(engine, actor=COMMAND_LINE, email="lecteur@demo.ctg", role="conseiller")
    with Session(engine) as session:  # the role change, moved to a known moment (stored in UTC)
        event = session.exec(select(m.AuditEvent).where(m.AuditEvent.operation == "compte:rôle")).one()
        event.at = stored
        session.add(event)
        session.commit()
    at = sign_in(page("journal.py"), actor_of(engine, "admin@demo.ctg")).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.loc[table["Opération"] == "Rôle changé", "Date"]) == [shown]


def test_an_admin_resets_a_password_disables_an_account_and_restricts_a_convention(demo):
    engine, _ = demo
    at = sign_in(page("comptes.py"), actor_of(engine, "admin@demo.ctg")).run()
    at.selectbox(key="comptes_edit_email").select("lecteur@demo.ctg").run()
    at.button(key="comptes_reset").click().run()
    assert not at.exception, [e.message for e in at.exception]
    temporary = at.code[0].value
    actor = accounts.verify_credentials(engine, "lecteur@demo.ctg", temporary)
    assert accounts.session_account(engine, actor.user_id).must_change_password
    at.button(key="comptes_disable").click().run()
    assert accounts.session_account(engine, actor.user_id) is None
    assert any("désactivé" in s.value for s in at.success)

    form = "FormSubmitter:comptes_access_ctg-lourdes-2023-Enregistrer l'accès"
    at.checkbox[-1].check()
    at.multiselect[-1].select("conseiller@demo.ctg")
    at.button(key=form).click().run()
    assert not at.exception, [e.message for e in at.exception]
    access = accounts.convention_access(engine).iloc[0]
    assert access["restricted"] and access["members"] == ["conseiller@demo.ctg"]
