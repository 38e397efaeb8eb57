"""Accounts: local sign-in (argon2id passwords, waits and locks kept in the database), directory
sign-in, and the
administration of accounts. No Streamlit here: the UI (ctg_data.ui.auth), the `ctg user`
commands and the tests all use these functions."""

from ctg_data.accounts.demo import DEMO_ACCOUNTS, DemoAccount, create_demo_accounts
from ctg_data.accounts.directory import config_problems as directory_config_problems
from ctg_data.accounts.journal import ACCESS_TABLES, audit_events, journal, sign_in_events
from ctg_data.accounts.manage import (
    Issued,
    convention_access,
    create_user,
    disable_user,
    enable_user,
    end_sessions,
    list_users,
    organisation_choices,
    reset_password,
    set_directory_sign_in,
    set_member,
    set_restricted,
    set_role,
    unlock_user,
    user_count,
)
from ctg_data.accounts.passwords import PasswordPolicyError, check_policy, policy_problems
from ctg_data.accounts.records import AccountError, AuthSettings, normalise_email
from ctg_data.accounts.signin import (
    BUSY,
    GENERIC_FAILURE,
    AuthError,
    SessionAccount,
    change_own_password,
    directory_sign_in,
    failure_delay,
    record_sign_out,
    session_account,
    sign_out_everywhere,
    verify_credentials,
)

__all__ = [
    "ACCESS_TABLES",
    "BUSY",
    "DEMO_ACCOUNTS",
    "GENERIC_FAILURE",
    "AccountError",
    "AuthError",
    "AuthSettings",
    "DemoAccount",
    "Issued",
    "PasswordPolicyError",
    "SessionAccount",
    "audit_events",
    "change_own_password",
    "check_policy",
    "convention_access",
    "create_demo_accounts",
    "create_user",
    "directory_config_problems",
    "directory_sign_in",
    "disable_user",
    "enable_user",
    "end_sessions",
    "failure_delay",
    "journal",
    "list_users",
    "normalise_email",
    "organisation_choices",
    "policy_problems",
    "record_sign_out",
    "reset_password",
    "session_account",
    "set_directory_sign_in",
    "set_member",
    "set_restricted",
    "set_role",
    "sign_in_events",
    "sign_out_everywhere",
    "unlock_user",
    "user_count",
    "verify_credentials",
]
