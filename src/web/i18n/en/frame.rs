//! English: frame, sign-in, home, errors.

pub static MESSAGES: &[(&str, &str)] = &[
    // Frame
    ("app.name", "Government Account Passwords"),
    (
        "app.tagline",
        "Custody, rotation, handover and risk oversight of website and new-media account passwords",
    ),
    ("nav.home", "Home"),
    ("nav.accounts", "Accounts"),
    ("nav.handovers", "Handovers"),
    ("nav.rectifications", "Rectification"),
    ("nav.risk", "Risk"),
    ("nav.admin", "Administration"),
    ("nav.audit", "Audit"),
    ("nav.notifications", "Notifications"),
    ("nav.main", "Main navigation"),
    ("nav.skip", "Skip to content"),
    ("user.signed_in_as", "Signed in as"),
    ("user.logout", "Sign out"),
    ("lang.switch", "中文"),
    ("lang.switch_label", "Switch language"),
    ("session.expires_in", "Signed out in {time} if idle"),
    (
        "session.warning",
        "Your session is about to end because it has been idle.",
    ),
    ("session.stay", "Stay signed in"),
    (
        "session.expired",
        "Your session has ended. Please sign in again.",
    ),
    // Common words
    ("common.submit", "Submit"),
    ("common.cancel", "Cancel"),
    ("common.save", "Save"),
    ("common.back", "Back"),
    ("common.none", "None"),
    ("common.yes", "Yes"),
    ("common.no", "No"),
    ("common.next_page", "Next page"),
    ("common.required", "required"),
    ("common.unit", "Unit"),
    ("common.status", "Status"),
    ("common.time", "Time"),
    ("common.view_all", "View all"),
    // Sign in
    ("login.title", "Sign in"),
    ("login.username", "Username"),
    ("login.password", "Password"),
    ("login.submit", "Sign in"),
    ("login.totp_title", "Two-step verification"),
    (
        "login.totp_help",
        "Enter the 6-digit code your authenticator app shows.",
    ),
    ("login.totp_code", "Code"),
    ("login.totp_submit", "Verify and sign in"),
    ("login.start_over", "Sign in as someone else"),
    (
        "login.challenge_expired",
        "That took too long; enter your username and password again.",
    ),
    ("login.signed_out", "You have signed out."),
    // TOTP enrolment
    ("enroll.title", "Set up two-step verification"),
    (
        "enroll.intro",
        "Your role requires two-step verification. Scan the QR code with an authenticator app (Microsoft Authenticator, Google Authenticator, FreeOTP…) or type the key by hand, then enter the 6-digit code the app shows.",
    ),
    ("enroll.qr_alt", "QR code for two-step verification"),
    ("enroll.manual_key", "Key for manual entry"),
    ("enroll.code", "6-digit code from the app"),
    ("enroll.submit", "Finish set-up"),
    (
        "enroll.done",
        "Two-step verification is set up. You will need a code each time you sign in.",
    ),
    // Own password
    ("password.title", "Change password"),
    (
        "password.required",
        "Your password was reset or has expired: set a new one first.",
    ),
    ("password.current", "Current password"),
    ("password.new", "New password"),
    ("password.repeat", "New password again"),
    ("password.mismatch", "The two new passwords differ."),
    ("password.submit", "Change password"),
    ("password.done", "Your password has been changed."),
    // Home
    ("home.title", "Home"),
    ("home.greeting", "Hello, {name}"),
    ("home.roles", "Your roles"),
    ("home.unread", "Unread notifications"),
    ("home.unread_count", "{n} unread"),
    ("home.nothing_unread", "No unread notifications."),
    ("home.open_inbox", "Open notifications"),
    // Roles
    ("role.sysadmin", "System administrator"),
    ("role.supervisor", "Supervisor"),
    ("role.unit_admin", "Unit administrator"),
    ("role.custodian", "Custodian"),
    ("role.hr", "HR"),
    ("role.auditor", "Auditor"),
    // Errors
    ("error.title", "Something went wrong"),
    (
        "error.not_found",
        "This page does not exist, or you may not see it.",
    ),
    ("error.forbidden", "Your role may not do this."),
    (
        "error.csrf",
        "This form has expired or was not sent from this site. Go back, reload the page and try again.",
    ),
    (
        "error.internal",
        "An internal error occurred and was logged. Try again later; if it persists, tell your system administrator.",
    ),
    ("error.invalid_credentials", "Wrong username or password."),
    ("error.mfa_required", "Enter your code."),
    (
        "error.invalid_totp",
        "The code is wrong or expired; enter the code the app shows now.",
    ),
    (
        "error.totp_replayed",
        "This code was already used; wait for the next one.",
    ),
    (
        "error.account_inactive",
        "This account is disabled or its holder has left; ask your unit administrator.",
    ),
    (
        "error.locked",
        "Too many failed sign-ins: the account is locked. Try later or ask a system administrator to unlock it.",
    ),
    (
        "error.throttled",
        "Too many failed sign-ins from your network address; try again later.",
    ),
    ("error.busy", "The system is busy; try again shortly."),
    (
        "error.session_expired",
        "Your session has ended. Please sign in again.",
    ),
    (
        "error.weak_password",
        "The new password does not meet the password policy.",
    ),
    ("error.too_large", "What you sent is too large."),
    (
        "error.bad_form",
        "The form could not be read; go back and fill it in again.",
    ),
    ("error.back_home", "Back to the home page"),
    // Why the services refused, by error code.
    (
        "error.unauthenticated",
        "Your sign-in is no longer valid; sign in again.",
    ),
    (
        "error.password_changed",
        "Your password was changed meanwhile; sign in again with the new one.",
    ),
    (
        "error.totp_already_enrolled",
        "Two-factor login is already set up; if the device is lost, a system administrator can reset it.",
    ),
    (
        "error.no_enrollment",
        "The two-factor setup expired or changed; start again.",
    ),
    (
        "error.totp_not_enrolled",
        "Set up two-factor login first: confirming needs a current code.",
    ),
];
