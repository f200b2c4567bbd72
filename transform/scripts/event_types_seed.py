"""Write seeds/auth0__event_types.csv: each Auth0 log type code's family, outcome and OCSF class.

    python transform/scripts/event_types_seed.py [OUT.csv]

The codes and descriptions are the tap's table (tap_auth0_logs/data/log_event_types.csv); the
family, outcome and OCSF mapping are the rules below, with explicit entries where a rule of
thumb would be wrong. Run it again after the tap's table gains codes, and review the diff.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tap_auth0_logs" / "data" / "log_event_types.csv"
SEED = ROOT / "transform" / "seeds" / "auth0__event_types.csv"

AUTHENTICATION, ACCOUNT_CHANGE, API_ACTIVITY = 3002, 3001, 6003
# Authentication (3002) activities as OCSF defines them: 1 logon, 2 logoff, 99 other (named in
# `ocsf_activity_name`). Not 3 to 5: OCSF defines those as Kerberos tickets, and an OAuth 2.0
# token exchange is none of them (it is Other, "Token Exchange", with auth_protocol_id 6).
LOGON, LOGOFF, OTHER = 1, 2, 99
# Account Change (3001) activities.
CREATE, ENABLE, PASSWORD_CHANGE, PASSWORD_RESET, DELETE, LOCK = 1, 2, 3, 4, 6, 9
MFA_ENABLE, MFA_DISABLE, UNLOCK = 10, 11, 12
#: OCSF's auth_protocol_id for OAuth 2.0 (`/oauth/token`, `/oauth/revoke`).
OAUTH2 = 6

# The names of "Other" activities (OCSF: "see the activity_name attribute").
TOKEN_EXCHANGE = "Token Exchange"  # noqa: S105 (a name, not a secret)
REFRESH = "Refresh Token Exchange"
MFA_VERIFY = "MFA Verification"
MFA_CHALLENGE = "MFA Challenge Sent"

Row = tuple[str, str, int | None, int | None, str, int | None]

#: code -> (category, outcome, OCSF class, activity, activity name for Other, auth protocol);
#: None for a class: no OCSF class covers it.
EXPLICIT: dict[str, Row] = {
    # logins
    "s": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "f": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "fp": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "fu": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "ssa": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "fsa": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "scoa": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "fcoa": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "fc": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "fco": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "sdel": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "sdelsa": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "fdelsa": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "scv": ("login", "success", AUTHENTICATION, LOGON, "", None),
    "passkey_challenge_failed": ("login", "failure", AUTHENTICATION, LOGON, "", None),
    "passkey_challenge_started": (
        "login",
        "other",
        AUTHENTICATION,
        OTHER,
        "Passkey Challenge",
        None,
    ),
    "cls": ("login", "other", AUTHENTICATION, OTHER, "Passwordless Link Sent", None),
    "cs": ("login", "other", AUTHENTICATION, OTHER, "Passwordless Code Sent", None),
    "pla": ("login", "other", None, None, "", None),
    "w": ("login", "other", None, None, "", None),
    # logouts
    "slo": ("logout", "success", AUTHENTICATION, LOGOFF, "", None),
    "flo": ("logout", "failure", AUTHENTICATION, LOGOFF, "", None),
    "oidc_backchannel_logout_succeeded": ("logout", "success", AUTHENTICATION, LOGOFF, "", None),
    "oidc_backchannel_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF, "", None),
    "universal_logout_succeeded": ("logout", "success", AUTHENTICATION, LOGOFF, "", None),
    "universal_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF, "", None),
    "federated_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF, "", None),
    # signups and invitations
    "ss": ("signup", "success", ACCOUNT_CHANGE, CREATE, "", None),
    "fs": ("signup", "failure", ACCOUNT_CHANGE, CREATE, "", None),
    "si": ("signup", "success", ACCOUNT_CHANGE, CREATE, "", None),
    "fi": ("signup", "failure", ACCOUNT_CHANGE, CREATE, "", None),
    # a sign-up Auth0 refused: the password is in a breach
    "signup_pwd_leak": ("signup", "failure", ACCOUNT_CHANGE, CREATE, "", None),
    # passwords
    "scp": ("password", "success", ACCOUNT_CHANGE, PASSWORD_CHANGE, "", None),
    "fcp": ("password", "failure", ACCOUNT_CHANGE, PASSWORD_CHANGE, "", None),
    "scph": ("password", "success", None, None, "", None),
    "fcph": ("password", "failure", None, None, "", None),
    "scpr": ("password", "success", ACCOUNT_CHANGE, PASSWORD_RESET, "", None),
    "fcpr": ("password", "failure", ACCOUNT_CHANGE, PASSWORD_RESET, "", None),
    # a login with a breached password (Auth0 blocks it), and a reset to one
    "pwd_leak": ("password", "failure", AUTHENTICATION, LOGON, "", None),
    "reset_pwd_leak": ("password", "failure", ACCOUNT_CHANGE, PASSWORD_RESET, "", None),
    # Auth0's blocks (attack protection), and the account itself
    "limit_wc": ("account", "failure", ACCOUNT_CHANGE, LOCK, "", None),
    "limit_sul": ("account", "failure", ACCOUNT_CHANGE, LOCK, "", None),
    # an IP blocked after too many failed logins: the logon it refused
    "limit_mu": ("rate_limit", "failure", AUTHENTICATION, LOGON, "", None),
    "ublkdu": ("account", "success", ACCOUNT_CHANGE, UNLOCK, "", None),
    "sdu": ("account", "success", ACCOUNT_CHANGE, DELETE, "", None),
    "fdu": ("account", "failure", ACCOUNT_CHANGE, DELETE, "", None),
    "du": ("account", "success", ACCOUNT_CHANGE, DELETE, "", None),
    "sce": ("account", "success", ACCOUNT_CHANGE, OTHER, "Email Change", None),
    "fce": ("account", "failure", ACCOUNT_CHANGE, OTHER, "Email Change", None),
    "scu": ("account", "success", ACCOUNT_CHANGE, OTHER, "Username Change", None),
    "fcu": ("account", "failure", ACCOUNT_CHANGE, OTHER, "Username Change", None),
    "scpn": ("account", "success", ACCOUNT_CHANGE, OTHER, "Phone Number Change", None),
    "fcpn": ("account", "failure", ACCOUNT_CHANGE, OTHER, "Phone Number Change", None),
    "sv": ("account", "success", ACCOUNT_CHANGE, ENABLE, "", None),
    "fv": ("account", "failure", None, None, "", None),
    "svr": ("account", "success", None, None, "", None),
    "fvr": ("account", "failure", None, None, "", None),
    # MFA: a factor verified (or not), and a challenge sent: a step, neither success nor failure
    "gd_auth_succeed": ("mfa", "success", AUTHENTICATION, OTHER, MFA_VERIFY, None),
    "gd_auth_failed": ("mfa", "failure", AUTHENTICATION, OTHER, MFA_VERIFY, None),
    "gd_auth_rejected": ("mfa", "failure", AUTHENTICATION, OTHER, MFA_VERIFY, None),
    "gd_recovery_succeed": ("mfa", "success", AUTHENTICATION, OTHER, "MFA Recovery", None),
    "gd_recovery_failed": ("mfa", "failure", AUTHENTICATION, OTHER, "MFA Recovery", None),
    "gd_send_pn": ("mfa", "other", AUTHENTICATION, OTHER, MFA_CHALLENGE, None),
    "gd_send_sms": ("mfa", "other", AUTHENTICATION, OTHER, MFA_CHALLENGE, None),
    "gd_send_voice": ("mfa", "other", AUTHENTICATION, OTHER, MFA_CHALLENGE, None),
    "gd_send_email": ("mfa", "other", AUTHENTICATION, OTHER, MFA_CHALLENGE, None),
    "gd_start_auth": ("mfa", "other", AUTHENTICATION, OTHER, "MFA Challenge Started", None),
    "mfar": ("mfa", "other", AUTHENTICATION, OTHER, "MFA Required", None),
    "gd_enrollment_complete": ("mfa", "success", ACCOUNT_CHANGE, MFA_ENABLE, "", None),
    "gd_unenroll": ("mfa", "success", ACCOUNT_CHANGE, MFA_DISABLE, "", None),
    "gd_user_delete": ("mfa", "success", ACCOUNT_CHANGE, MFA_DISABLE, "", None),
    # too many MFA attempts: Auth0 blocks the user's MFA for a while
    "gd_otp_rate_limit_exceed": ("mfa", "failure", AUTHENTICATION, OTHER, MFA_VERIFY, None),
    "gd_recovery_rate_limit_exceed": (
        "mfa",
        "failure",
        AUTHENTICATION,
        OTHER,
        "MFA Recovery",
        None,
    ),
    # the Management API
    "sapi": ("management_api", "success", API_ACTIVITY, 3, "", None),
    "fapi": ("management_api", "failure", API_ACTIVITY, 3, "", None),
    "mgmt_api_read": ("management_api", "success", API_ACTIVITY, 2, "", None),
    # delegation, device flow and other token steps
    "sd": ("token", "success", AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2),
    "fd": ("token", "failure", AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2),
    "sdeleacft": ("token", "success", AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2),
    "fdeleacft": ("token", "failure", AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2),
    # a refresh token revoked ends the grant it belonged to
    "srrt": ("token", "success", AUTHENTICATION, LOGOFF, "", OAUTH2),
    "fdeac": ("token", "failure", None, None, "", None),
    "fdeaz": ("token", "failure", None, None, "", None),
    "fdecc": ("token", "failure", None, None, "", None),
    "fpar": ("token", "failure", None, None, "", None),
    # other failures and successes the suffix rules miss
    "fn": ("other", "failure", None, None, "", None),
    "fcpro": ("other", "failure", None, None, "", None),
    "fpurh": ("other", "failure", None, None, "", None),
    "fscim": ("other", "failure", None, None, "", None),
    "sscim": ("other", "success", None, None, "", None),
    "fui": ("other", "failure", None, None, "", None),
    "sui": ("other", "success", None, None, "", None),
    "gd_module_switch": ("mfa", "other", None, None, "", None),
    "gd_tenant_update": ("mfa", "other", None, None, "", None),
    # rate limits
    "api_limit": ("rate_limit", "failure", None, None, "", None),
    "api_limit_warning": ("rate_limit", "other", None, None, "", None),
    "limit_delegation": ("rate_limit", "failure", None, None, "", None),
    "limit_ui": ("rate_limit", "failure", None, None, "", None),
    "limit_phone": ("rate_limit", "failure", None, None, "", None),
}
#: Refresh-token exchanges (a new token for an old one), successful or not.
RENEWALS = {"sertft", "fertft", "ferrt"}


def classify(code: str) -> Row:
    """A code's family, outcome, OCSF class and activity, Other's name and auth protocol."""
    if code in EXPLICIT:
        return EXPLICIT[code]
    if code.endswith("exchange_succeeded") or code.endswith("on_behalf_of_token_exchange"):
        outcome = "failure" if code.startswith("failed") else "success"
        return ("token", outcome, AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2)
    if code.endswith("exchange_failed"):
        return ("token", "failure", AUTHENTICATION, OTHER, TOKEN_EXCHANGE, OAUTH2)
    if code in RENEWALS or (
        code.startswith(("se", "fe"))
        and (
            code.endswith("ft")
            or code in {"sede", "fede", "sens", "fens", "seta", "feta", "secte", "fecte"}
        )
    ):
        outcome = "success" if code.startswith("s") else "failure"
        name = REFRESH if code in RENEWALS else TOKEN_EXCHANGE
        return ("token", outcome, AUTHENTICATION, OTHER, name, OAUTH2)
    if code.startswith("gd_"):
        failed = "fail" in code or "rejected" in code
        return ("mfa", "failure" if failed else "success", None, None, "", None)
    if code.endswith(("_failed", "_failure")) or code.startswith("failed"):
        return ("other", "failure", None, None, "", None)
    if code.endswith(("_succeeded", "_success", "_completed")):
        return ("other", "success", None, None, "", None)
    return ("other", "other", None, None, "", None)


def main() -> None:
    """Write the seed from the tap's table of codes (to the path given, else into seeds/)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SEED
    with SOURCE.open(newline="") as source:
        descriptions = {row["code"]: row["description"] for row in csv.DictReader(source)}
    with target.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "code",
                "description",
                "category",
                "outcome",
                "ocsf_class_uid",
                "ocsf_activity_id",
                "ocsf_activity_name",
                "ocsf_auth_protocol_id",
            ]
        )
        for code in sorted(descriptions):
            category, outcome, class_uid, activity, other_name, protocol = classify(code)
            name = descriptions[code].split(" — ")[0].split(" (legacy")[0].split(" (present")[0]
            writer.writerow(
                [
                    code,
                    name,
                    category,
                    outcome,
                    class_uid or "",
                    activity or "",
                    other_name,
                    protocol or "",
                ]
            )


if __name__ == "__main__":
    main()
