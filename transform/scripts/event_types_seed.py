"""Write seeds/auth0__event_types.csv: each Auth0 log type code's family, outcome and OCSF class.

    python transform/scripts/event_types_seed.py

The codes and descriptions are the tap's table (tap_auth0_logs/data/log_event_types.csv); the
family, outcome and OCSF mapping are the rules below, with explicit entries where a rule of
thumb would be wrong. Run it again after the tap's table gains codes, and review the diff.
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tap_auth0_logs" / "data" / "log_event_types.csv"
SEED = ROOT / "transform" / "seeds" / "auth0__event_types.csv"

AUTHENTICATION, ACCOUNT_CHANGE, API_ACTIVITY = 3002, 3001, 6003
# Authentication (3002) activities: 1 logon, 2 logoff, 4 service ticket request (a token for an
# audience), 5 service ticket renew (a refresh token), 99 other (an MFA step, a code sent).
LOGON, LOGOFF, TICKET, RENEW, OTHER = 1, 2, 4, 5, 99
# Account Change (3001) activities.
CREATE, ENABLE, PASSWORD_CHANGE, PASSWORD_RESET, DELETE, LOCK = 1, 2, 3, 4, 6, 9
MFA_ENABLE, MFA_DISABLE, UNLOCK = 10, 11, 12

#: code -> (category, outcome, OCSF class, activity); None for a class: no OCSF class covers it.
EXPLICIT: dict[str, tuple[str, str, int | None, int | None]] = {
    # logins
    "s": ("login", "success", AUTHENTICATION, LOGON),
    "f": ("login", "failure", AUTHENTICATION, LOGON),
    "fp": ("login", "failure", AUTHENTICATION, LOGON),
    "fu": ("login", "failure", AUTHENTICATION, LOGON),
    "ssa": ("login", "success", AUTHENTICATION, LOGON),
    "fsa": ("login", "failure", AUTHENTICATION, LOGON),
    "scoa": ("login", "success", AUTHENTICATION, LOGON),
    "fcoa": ("login", "failure", AUTHENTICATION, LOGON),
    "fc": ("login", "failure", AUTHENTICATION, LOGON),
    "fco": ("login", "failure", AUTHENTICATION, LOGON),
    "sdel": ("login", "success", AUTHENTICATION, LOGON),
    "sdelsa": ("login", "success", AUTHENTICATION, LOGON),
    "fdelsa": ("login", "failure", AUTHENTICATION, LOGON),
    "scv": ("login", "success", AUTHENTICATION, LOGON),
    "passkey_challenge_failed": ("login", "failure", AUTHENTICATION, LOGON),
    "passkey_challenge_started": ("login", "other", AUTHENTICATION, OTHER),
    "cls": ("login", "other", AUTHENTICATION, OTHER),
    "cs": ("login", "other", AUTHENTICATION, OTHER),
    "pla": ("login", "other", None, None),
    "w": ("login", "other", None, None),
    # logouts
    "slo": ("logout", "success", AUTHENTICATION, LOGOFF),
    "flo": ("logout", "failure", AUTHENTICATION, LOGOFF),
    "oidc_backchannel_logout_succeeded": ("logout", "success", AUTHENTICATION, LOGOFF),
    "oidc_backchannel_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF),
    "universal_logout_succeeded": ("logout", "success", AUTHENTICATION, LOGOFF),
    "universal_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF),
    "federated_logout_failed": ("logout", "failure", AUTHENTICATION, LOGOFF),
    # signups and invitations
    "ss": ("signup", "success", ACCOUNT_CHANGE, CREATE),
    "fs": ("signup", "failure", ACCOUNT_CHANGE, CREATE),
    "si": ("signup", "success", ACCOUNT_CHANGE, CREATE),
    "fi": ("signup", "failure", ACCOUNT_CHANGE, CREATE),
    "signup_pwd_leak": ("signup", "failure", None, None),
    # passwords
    "scp": ("password", "success", ACCOUNT_CHANGE, PASSWORD_CHANGE),
    "fcp": ("password", "failure", ACCOUNT_CHANGE, PASSWORD_CHANGE),
    "scph": ("password", "success", None, None),
    "fcph": ("password", "failure", None, None),
    "scpr": ("password", "success", ACCOUNT_CHANGE, PASSWORD_RESET),
    "fcpr": ("password", "failure", ACCOUNT_CHANGE, PASSWORD_RESET),
    "pwd_leak": ("password", "failure", None, None),
    "reset_pwd_leak": ("password", "failure", None, None),
    # blocks (attack protection) and the account itself
    "limit_wc": ("account", "failure", ACCOUNT_CHANGE, LOCK),
    "limit_sul": ("account", "failure", ACCOUNT_CHANGE, LOCK),
    "limit_mu": ("rate_limit", "failure", None, None),
    "ublkdu": ("account", "success", ACCOUNT_CHANGE, UNLOCK),
    "sdu": ("account", "success", ACCOUNT_CHANGE, DELETE),
    "fdu": ("account", "failure", ACCOUNT_CHANGE, DELETE),
    "du": ("account", "success", ACCOUNT_CHANGE, DELETE),
    "sce": ("account", "success", ACCOUNT_CHANGE, OTHER),
    "fce": ("account", "failure", ACCOUNT_CHANGE, OTHER),
    "scu": ("account", "success", ACCOUNT_CHANGE, OTHER),
    "fcu": ("account", "failure", ACCOUNT_CHANGE, OTHER),
    "scpn": ("account", "success", ACCOUNT_CHANGE, OTHER),
    "fcpn": ("account", "failure", ACCOUNT_CHANGE, OTHER),
    "sv": ("account", "success", ACCOUNT_CHANGE, ENABLE),
    "fv": ("account", "failure", None, None),
    "svr": ("account", "success", None, None),
    "fvr": ("account", "failure", None, None),
    # MFA
    "gd_auth_succeed": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_auth_failed": ("mfa", "failure", AUTHENTICATION, OTHER),
    "gd_auth_rejected": ("mfa", "failure", AUTHENTICATION, OTHER),
    "gd_recovery_succeed": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_recovery_failed": ("mfa", "failure", AUTHENTICATION, OTHER),
    "gd_send_pn": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_send_sms": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_send_voice": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_send_email": ("mfa", "success", AUTHENTICATION, OTHER),
    "gd_start_auth": ("mfa", "other", AUTHENTICATION, OTHER),
    "mfar": ("mfa", "other", AUTHENTICATION, OTHER),
    "gd_enrollment_complete": ("mfa", "success", ACCOUNT_CHANGE, MFA_ENABLE),
    "gd_unenroll": ("mfa", "success", ACCOUNT_CHANGE, MFA_DISABLE),
    "gd_user_delete": ("mfa", "success", ACCOUNT_CHANGE, MFA_DISABLE),
    "gd_otp_rate_limit_exceed": ("mfa", "failure", None, None),
    "gd_recovery_rate_limit_exceed": ("mfa", "failure", None, None),
    # the Management API
    "sapi": ("management_api", "success", API_ACTIVITY, 3),
    "fapi": ("management_api", "failure", API_ACTIVITY, 3),
    "mgmt_api_read": ("management_api", "success", API_ACTIVITY, 2),
    # delegation, device flow and other token steps
    "sd": ("token", "success", AUTHENTICATION, TICKET),
    "fd": ("token", "failure", AUTHENTICATION, TICKET),
    "sdeleacft": ("token", "success", AUTHENTICATION, TICKET),
    "fdeleacft": ("token", "failure", AUTHENTICATION, TICKET),
    "fdeac": ("token", "failure", None, None),
    "fdeaz": ("token", "failure", None, None),
    "fdecc": ("token", "failure", None, None),
    "fpar": ("token", "failure", None, None),
    # other failures and successes the suffix rules miss
    "fn": ("other", "failure", None, None),
    "fcpro": ("other", "failure", None, None),
    "fpurh": ("other", "failure", None, None),
    "fscim": ("other", "failure", None, None),
    "sscim": ("other", "success", None, None),
    "fui": ("other", "failure", None, None),
    "sui": ("other", "success", None, None),
    "gd_module_switch": ("mfa", "other", None, None),
    "gd_tenant_update": ("mfa", "other", None, None),
    # rate limits
    "api_limit": ("rate_limit", "failure", None, None),
    "api_limit_warning": ("rate_limit", "other", None, None),
    "limit_delegation": ("rate_limit", "failure", None, None),
    "limit_ui": ("rate_limit", "failure", None, None),
    "limit_phone": ("rate_limit", "failure", None, None),
}
#: Token exchanges: success and failure codes for a token for an audience (or a renewal).
RENEWALS = {"sertft", "fertft", "srrt", "ferrt"}


def classify(code: str) -> tuple[str, str, int | None, int | None]:
    """A code's family, outcome and OCSF class and activity."""
    if code in EXPLICIT:
        return EXPLICIT[code]
    if code.endswith("exchange_succeeded") or code.endswith("on_behalf_of_token_exchange"):
        outcome = "failure" if code.startswith("failed") else "success"
        return ("token", outcome, AUTHENTICATION, TICKET)
    if code.endswith("exchange_failed"):
        return ("token", "failure", AUTHENTICATION, TICKET)
    if code.startswith(("se", "fe")) and (
        code.endswith("ft")
        or code in {"sede", "fede", "sens", "fens", "seta", "feta", "secte", "fecte"}
    ):
        outcome = "success" if code.startswith("s") else "failure"
        return ("token", outcome, AUTHENTICATION, RENEW if code in RENEWALS else TICKET)
    if code in RENEWALS:
        return ("token", "success" if code.startswith("s") else "failure", AUTHENTICATION, RENEW)
    if code.startswith("gd_"):
        failed = "fail" in code or "rejected" in code
        return ("mfa", "failure" if failed else "success", None, None)
    if code.endswith(("_failed", "_failure")) or code.startswith("failed"):
        return ("other", "failure", None, None)
    if code.endswith(("_succeeded", "_success", "_completed")):
        return ("other", "success", None, None)
    return ("other", "other", None, None)


def main() -> None:
    """Write the seed from the tap's table of codes."""
    with SOURCE.open(newline="") as source:
        descriptions = {row["code"]: row["description"] for row in csv.DictReader(source)}
    with SEED.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["code", "description", "category", "outcome", "ocsf_class_uid", "ocsf_activity_id"]
        )
        for code in sorted(descriptions):
            category, outcome, class_uid, activity = classify(code)
            name = descriptions[code].split(" — ")[0].split(" (legacy")[0].split(" (present")[0]
            writer.writerow([code, name, category, outcome, class_uid or "", activity or ""])


if __name__ == "__main__":
    main()
