"""Journal des événements (administrators): the audit trail, newest first — sign-ins, failures,
locks, account and role changes, access to conventions; and, on demand, every data change."""

import streamlit as st

from ctg_data import accounts
from ctg_data.permissions import require_read_audit
from ctg_data.queries.history import journal_frame
from ctg_data.ui.data import cached_query, engine
from ctg_data.ui.page import PageContext, general_page
from ctg_data.ui.selection import CHANGES_ROWS

audit_events = cached_query(accounts.audit_events)

LIMIT = 500
OPERATIONS = {
    "connexion": "Connexion",
    "connexion:échec": "Échec de connexion",
    "connexion:verrouillage": "Verrouillage après échecs",
    "connexion:refus": "Tentative refusée (attente ou verrouillage en cours)",
    "connexion:annuaire-refus": "Connexion par l'annuaire refusée",
    "connexion:confirmation": "Mot de passe actuel confirmé",
    "déconnexion": "Déconnexion",
    "compte:création": "Compte créé",
    "compte:rôle": "Rôle changé",
    "compte:désactivation": "Compte désactivé",
    "compte:réactivation": "Compte réactivé",
    "compte:mot-de-passe-réinitialisé": "Mot de passe réinitialisé",
    "compte:mot-de-passe-changé": "Mot de passe changé",
    "compte:déverrouillage": "Compte déverrouillé",
    "compte:annuaire": "Connexion par l'annuaire autorisée ou retirée",
    "compte:sessions-fermées": "Sessions du compte fermées",
    "convention:accès": "Accès à une convention (réservée ou non)",
    "convention:membre": "Accès donné à une convention",
    "convention:retrait": "Accès retiré à une convention",
}


# At 1440 px beside the menu (about 980 px): « Modifications » takes what is left and wraps
# on four lines (a cell opened by a click shows the rest).
COLUMNS = {
    "Date": st.column_config.TextColumn("Date", width=115),
    "Par": st.column_config.TextColumn("Par", width=150),
    "Opération": st.column_config.TextColumn("Opération", width=120),
    "Élément": st.column_config.TextColumn("Élément", width=170),
    "Modifications": st.column_config.TextColumn("Modifications", width=390),
}


@general_page("Journal des événements", guard=require_read_audit)
def render(context: PageContext) -> None:
    everything = st.toggle(
        "Toutes les modifications de données (pas seulement les comptes et les accès)", key="journal_everything"
    )
    # Sign-in events are read fresh: they do not move the data version that keys the cache.
    events = accounts.journal(
        audit_events(access_only=not everything, limit=LIMIT), accounts.sign_in_events(engine(), limit=LIMIT), LIMIT
    )
    if events.empty:
        st.info("Aucun événement enregistré.")
        return
    chosen = st.multiselect(
        "Opérations",
        sorted(set(events["operation"])),
        key="journal_operations",
        format_func=lambda op: OPERATIONS.get(op, op),
        placeholder="Toutes",
    )
    who = st.text_input("Personne (adresse e-mail contenant…)", key="journal_actor")
    if chosen:
        events = events[events["operation"].isin(chosen)]
    if who:
        events = events[events["actor"].str.contains(who, case=False, regex=False)]
    st.caption(
        f"{len(events)} événement(s), les {LIMIT} plus récents au plus. Les mots de passe et "
        "leurs empreintes ne sont jamais enregistrés ici."
    )
    # Records and changes named as in a record's history, not table names and JSON.
    st.dataframe(
        journal_frame(engine(), events, OPERATIONS),
        hide_index=True,
        width="stretch",
        alt="Journal des événements",
        column_config=COLUMNS,
        row_height=CHANGES_ROWS,
    )
