## The login pages and the account pages, in English. Every other catalogue has the same ids.

site-name = chronid
skip-to-content = Skip to the content
language-label = Language
footer-terms = Terms of service
footer-privacy = Privacy
required-mark = required

## Log in
login-title = Log in
login-heading = Log in to your account
login-heading-account = Log in to { $account }
login-field-login = Email or username
login-field-password = Password
login-submit = Log in
login-forgot = Forgot your password?
login-failed = The email, username or password is not correct.
login-locked = This user is locked. Try again later, or ask your administrator to unlock it.
login-disabled = This user is disabled. Ask your administrator.
login-method-not-allowed = This account does not allow logging in with a password.
login-not-this-account = This user does not belong to this account.
login-again = Log in again
logged-out = You are logged out.
session-ended = Your session has ended. Log in again.
field-required = Fill in this field.
field-too-long = This is too long.

## Choose account
choose-title = Choose account
choose-intro = Your email and password work in several accounts. Which one do you want to use?
choose-submit = Continue
login-expired = This login took too long. Log in again.

## The second factor
code-title = Verification code
code-intro-email = We sent a verification code to your email address.
code-intro-sms = We sent a verification code to your phone by text message.
code-intro-voice = We are calling your phone to read out a verification code.
code-intro-totp = Open your authenticator app and type the code it shows.
code-field = Code
code-hint = Six digits.
code-submit = Verify
code-tries-left = { $tries ->
    [one] { $tries } try left.
   *[other] { $tries } tries left.
}
code-wrong = The code is not correct.
code-reused = This code was used already. Wait for the next one.
code-exhausted = Too many wrong codes. Log in again to get a new one.
code-invalid-format = A code is six digits.
code-resend = Send a new code
code-resend-note = Did not get it? You can have a new code sent, at most { $tries } in 15 minutes.
code-trust-note = Once you pass this step, this browser is remembered as a trusted device.

## Authenticator enrolment required by an administrator
enrol-title = Set up your authenticator app
enrol-intro = Your administrator requires an authenticator app. Scan the image with the app, or type the key, then enter the code it shows.
enrol-qr-alt = QR code to scan with your authenticator app
enrol-key = Key to type in
enrol-submit = Confirm

## Password change required
change-title = Choose a new password
change-intro = Your password has expired. Choose a new one.
field-new-password = New password
field-new-password-repeat = New password again
password-rule = At least { $min } characters.
password-mismatch = The two passwords are not the same.
password-too-short = The password must have at least { $min } characters.
change-submit = Save password
password-changed = Your password is changed. Log in with it.

## Forgot and reset
forgot-title = Forgot your password?
forgot-intro = Enter your email or username. If it belongs to a user, we send a link to choose a new password.
forgot-submit = Send link
forgot-sent = If this login exists, a link is on its way. It works once, within one hour.
forgot-back = Back to log in
reset-title = Reset your password
reset-intro = Choose a new password for your account.
reset-submit = Save password
reset-invalid = This link is not valid any more. Ask for a new one.

## The account pages
account-title = My profile
account-nav = Account
tab-profile = Profile
tab-security = Security
profile-name = Name
profile-email = Email
profile-username = Username
profile-phone = Phone
profile-language = Language
profile-account = Account
profile-roles = Roles
profile-none = Not set
logout = Log out
saved = Saved.

## The Security tab
totp-heading = Authenticator app
totp-on = An authenticator app is set up.
totp-off = No authenticator app is set up.
totp-pending = Scan the image with your authenticator app, then confirm with the code it shows.
totp-enable = Set up an authenticator app
totp-confirm = Confirm
totp-reset = Reset authenticator app
totp-reset-help = Type the current code; the app then gets a new key to scan.
totp-disable = Turn off authenticator app
totp-disable-help = Type the current code to turn the authenticator app off.
totp-enabled = Your authenticator app is set up.
totp-disabled = Your authenticator app is turned off.
totp-wrong = The code is not correct.
two-factor-required-note = A second factor is required for your user on new devices.
channel-heading = Where codes are sent
channel-email = Email
channel-sms = Text message
channel-voice = Voice call
channel-totp = Authenticator app
channel-save = Save
channel-needs-phone = Add a phone number first (ask your administrator).
channel-needs-totp = Set up the authenticator app first.
password-heading = Change password
field-current-password = Current password
password-wrong = The current password is not correct.
sessions-heading = Open sessions
session-this = This session
session-opened = Opened
session-last-seen = Last used
session-expires = Ends
session-revoke = End session
sessions-none = No other sessions.
devices-heading = Trusted devices
devices-intro = On these devices no verification code is asked until the trust ends.
device-this = This device
device-trusted-until = Trusted until
device-revoke = Forget device
devices-none = No trusted devices.
unknown = unknown

## Errors every page may show
error-title = Something went wrong
error-csrf = This form has expired. Load the page again and retry.
error-rate = Too many attempts from your address. Wait { $secs } seconds, then try again.
error-internal = Something went wrong on our side. Try again in a moment.
error-other = This could not be done ({ $code }).
not-found-title = Page not found
not-found-text = There is no page at this address.
password-reused = Choose a password you have not used before.
totp-required-by-admin = Your administrator requires an authenticator app: it cannot be turned off.
code-sent = A new code is on its way.
code-too-many = Too many codes were sent. Wait { $secs } seconds, then ask again.

## Single sign-on
login-sso-link = Login with SSO
sso-title = Login with SSO
sso-intro = Enter your email to log in through your organisation's identity provider.
sso-field-email = Email
sso-submit = Continue
sso-field-sp-url = SP initiation URL
sso-sp-url-intro = Enter the SP initiation URL your administrator shared with you. It looks like { $example }
sso-sp-url-invalid = This is not an SP initiation URL of this service.
sso-choose-intro = You are a user of several accounts that log in through this identity provider. Which one do you want to use?
sso-refused-title = Single sign-on did not succeed
sso-refused-response = The identity provider's answer could not be accepted. Start again from your SP initiation URL; if it happens again, tell your administrator.
sso-refused-stale = This sign-in has expired or was already used. Start again from your SP initiation URL.
sso-refused-unknown-user = There is no user with your email in this account. Ask an administrator of the account to create one.
sso-refused-not-allowed = This account does not allow logging in with single sign-on.
sso-refused-user = Your user is locked or disabled. Ask an administrator of your account.
sso-refused-idp = The identity provider did not sign you in.
sso-refused-reference = Reference: { $code }
sso-groups-title = Your teams changed
sso-groups-intro = Your identity provider's groups changed your teams in { $account }.
sso-groups-added = Added to
sso-groups-removed = Removed from
sso-groups-submit = I understand
sso-email-invalid = This is not an email address.
sso-onward = Continue to your identity provider
sso-start-title = Log in with single sign-on
sso-start-intro = You followed a link from another site to log in to { $account } through its identity provider. Continue only if you meant to.
sso-start-continue = Continue

# Google and GitHub login
login-with-google = Log in with Google
login-with-github = Log in with GitHub
external-unavailable = The login provider cannot be reached just now. Try again in a moment, or log in another way.
external-choose-intro = Your email is a user of several accounts that allow this login. Which one do you want to use?
external-refused-title = Login did not succeed
external-refused-stale = This sign-in has expired, was already used, or was started in another browser. Start again from the login page.
external-refused-response = { $provider }'s answer could not be accepted. Start again; if it happens again, tell your administrator.
external-refused-unverified = { $provider } has not verified your email address. Verify it at { $provider }, then try again.
external-refused-no-account = There is no user with your { $provider } email in an account that allows logging in with { $provider }. Ask an administrator of your account.
external-refused-not-allowed = Your account does not allow logging in with { $provider }.
external-refused-user = Your user is locked or disabled. Ask an administrator of your account.
external-refused-cancelled = The login was not completed at { $provider }.
identities-heading = Linked identities
identities-intro = Google, GitHub and single sign-on identities that log you in. An identity you unlink no longer finds you; your verified email may link it again at its next login.
identities-none = No identity is linked to you yet.
identity-provider = Provider
identity-subject = Identifier
identity-unlink = Unlink
identity-unlinked = The identity was unlinked.

# The console
console-title = Console
console-nav = Console
console-intro = Manage your account here. Each section shows only what your role allows.
console-forbidden = This page is for the account's administrators.
audit-title = Audit log
audit-filters = Filters
audit-username = Username
audit-ip = IP address
audit-text = Description contains
audit-range = Time range
audit-range-any = Any time
audit-range-last-15-minutes = Last 15 minutes
audit-range-today = Today
audit-range-yesterday = Yesterday
audit-range-this-week = This week
audit-range-last-week = Last week
audit-from = From
audit-to = To
audit-time-hint = Date and time in the account's time zone ({ $zone })
audit-apply = Apply filters
audit-clear = Clear
audit-entries = Entries, newest first
audit-none = No entry matches these filters.
audit-older = Older entries
audit-export-csv = Download as CSV
audit-export-jsonl = Download as JSON Lines
audit-col-time = Time
audit-col-account = Account
audit-col-username = Username
audit-col-ip = IP address
audit-col-description = Description
audit-chart = Logins per hour
audit-chart-logins = Logins
audit-chart-failed = Failed logins
audit-chart-summary = { $logins } logins and { $failed } failed logins from { $from } to { $to } ({ $zone }).
audit-bad-page = This page of the audit log does not exist. Start again from the first page.
audit-bad-format = Choose CSV or JSON Lines.

# The console's users
users-title = Users
users-heading = Users
users-search = Search (email, username, name, phone)
users-status = Status
users-role = Role
users-any = Any
users-none = No user matches.
users-next = Next page
users-back = All users
users-bad-filter = Choose a status and a role from the lists.
users-col-name = Name
users-col-email = Email
users-col-roles = Roles
users-col-last-login = Last login
user-status-invited = Invited
user-status-active = Active
user-status-disabled = Disabled
user-status-locked = Locked
user-reason-admin = by an administrator
user-reason-inactivity = inactive too long
user-reason-policy = too many failed logins
user-details = Details
user-phone = Phone
user-two-factor-required = Two-factor authentication required
user-failed-attempts = Failed attempts in a row
user-actions = Actions
user-disable = Disable
user-enable = Enable
user-lock = Lock
user-unlock = Unlock
user-password-reset = Send a password reset link
user-two-factor-on = Require two-factor authentication
user-two-factor-off = Turn off two-factor authentication and remove the authenticator
users-yes = Yes
users-no = No
reset-link-sent = The password reset link was sent.
field-invalid = This value cannot be taken: check it and try again.
email-taken = A user of this account already has this email.
users-create = Create a user
users-create-submit = Create
users-first-name = First name
users-last-name = Last name
users-member = Member (no role)
user-created = The user was created.

# The console's security settings
security-title = Security settings
security-policy = User account security policy
security-inactivity = Maximum inactivity (days)
security-inactivity-hint = A user who has not logged in for this many days is disabled: 15 to 365; empty for never.
security-attempts = Maximum login attempts
security-attempts-hint = Failed logins in a row before the user is locked: 1 to 100; 5 is recommended.
security-validity = Password validity (days)
security-validity-hint = Days a password stays valid: 1 to 3650, 90 is recommended; empty for no expiry.
security-two-factor = Two-factor authentication for all users
security-two-factor-off = Off
security-two-factor-new-device = On a new device
security-two-factor-every-login = At every login
security-lockout = What failed logins lock
security-lockout-account = The user, on every device
security-lockout-untrusted = Only logins from devices the user has not trusted
security-lock-minutes = Lock lifts after (minutes)
security-lock-minutes-hint = 1 to 10080; empty: until an administrator unlocks the user.
security-save = Save
security-login-options = Login options
security-login-options-legend = Users of this account may log in with

# The console's API keys
keys-title = API keys
keys-create = Create an API key
keys-create-submit = Create the key
keys-name = Name
keys-valid-until = Valid until
keys-no-expiry = Empty: no expiry.
keys-none = No API key yet.
keys-created = API key “{ $name }” created
keys-shown-once = Copy the key now: it is shown this once and never again.
keys-created-at = Created
keys-never = Never
keys-active = Active
keys-expired = Expired
keys-revoked = Revoked
keys-rename = Rename
keys-set-expiry = Set expiry
keys-revoke = Revoke

# The console's teams
teams-title = Teams
teams-create = Create a team
teams-create-submit = Create the team
teams-none = No team yet.
teams-members = Members
teams-managed = Managed
teams-by-sso = by SSO
teams-back = All teams
teams-sso-read-only = SSO group sync manages this team: its members follow the identity provider and are shown read-only.
teams-no-members = No member yet.
teams-remove = Remove
teams-add-label = Add the user with the email
teams-add = Add
teams-settings = Team
teams-delete = Delete the team

# The console's user history
history-title = History
history-back = Back to the user
history-as-of = As of
history-as-of-field = The user as of
history-show = Show
history-not-yet = The user did not exist yet.
history-timeline = Timeline
history-events = Events, newest first
history-col-event = Event
history-none = No event yet.
history-summary = { $count ->
    [one] { $count } event from { $from } to { $to }.
   *[other] { $count } events from { $from } to { $to }.
}
user-history = History
user-identities-none = No identity is linked to this user.

# The console's customization
custom-title = Customization
custom-look = Language, theme and login host name
custom-language = Interface language
custom-language-hint = The language of the login pages and of mails for users who have not chosen one.
custom-theme = Theme
custom-theme-light = Light
custom-theme-dark = Dark
custom-theme-system = As the user's device is set
custom-time-zone = Time zone
custom-time-zone-hint = The console and the audit log show times in this zone.
custom-hostname = Login host name
custom-hostname-hint = A name of your domain where your users log in with your logo and theme, such as login.example.com. Empty: none.
custom-dns = The DNS record to create
custom-dns-hint = Create this record at your DNS provider so the host name reaches the login pages.
custom-dns-type = Type
custom-dns-name = Name
custom-dns-value = Value
custom-logo = Logo
custom-logo-file = Logo image
custom-logo-hint = A PNG or JPEG image of at most 150 x 150 pixels.
custom-logo-upload = Upload the logo
custom-logo-remove = Remove the logo
custom-logo-none = No logo yet.
custom-logo-alt = The account's logo
custom-logo-size = { $width } x { $height } pixels
custom-preview = Preview of the login page
custom-preview-at = Your users see it at
logo-too-large = The image cannot be uploaded: it is larger than { $max } x { $max } pixels.
logo-invalid = The file cannot be read as a PNG or JPEG image.
logo-missing = Choose an image file.
hostname-taken = Another account already logs in at this host name.

# The console's single sign-on
sso-console-title = Single sign-on
sso-console-intro = With SAML 2.0 single sign-on, your users log in through your identity provider (IdP). Only an Account Manager can define and change the configuration.
sso-configure = Configure single sign-on
sso-none = No single sign-on configuration yet.
sso-edit = Change the configuration
sso-shared = Another account owns this configuration and shares it with this account; its managers change it.
sso-new-title = New single sign-on configuration
sso-edit-title = Single sign-on configuration
sso-idp-heading = Identity provider
sso-sp-heading = Service provider
sso-idp-metadata = IdP metadata file (optional)
sso-idp-metadata-help = The metadata XML of your identity provider fills in the IdP fields below; a field you type wins over the file's.
sso-idp-entity-id = IdP Identifier
sso-idp-entity-id-help = A system entity or issuer that creates, maintains, and manages identity information for principals.
sso-idp-certificate = IdP Signature Certificate
sso-idp-certificate-help = The certificate from the identity provider used to sign the SAML assertion: one to four PEM blocks, each valid now, RSA of at least 2048 bits or an elliptic curve.
sso-idp-certificate-file = Or upload the certificate file (PEM or DER)
sso-idp-sso-url = IdP Single Sign-On URL
sso-idp-sso-url-help = The SAML 2.0 endpoint (HTTP) which represents the sign-on URL of the identity provider.
sso-logout-url = Logout URL
sso-logout-url-help = Your identity provider's URL which all users are redirected to after logging out here, to end their session at the identity provider.
sso-sp-entity-id = SP Entity ID
sso-sp-entity-id-help = The URL that identifies this service provider uniquely. Use it to start the SSO login and share it with all users of the account.
sso-slug-help = Type its last segment, such as your company's name.
sso-acs-url = SP Assertion Consumer URL
sso-acs-url-help = Where the identity provider sends SAML assertions; configure it on your identity provider. It is generated randomly when the configuration is saved.
sso-metadata-download = Download the SP metadata (XML) for your identity provider
sso-certificates = Trusted IdP certificates
sso-certificate-expires = expires on { $date }
sso-certificate-soon = Expires within 30 days: add the new certificate now.
sso-certificate-untrusted = Not trusted: { $why }
sso-auto-users = Auto-create Users
sso-auto-users-help = Users who log in through the identity provider and are not found by their email are created with their basic details.
sso-auto-groups = Auto-create Groups
sso-auto-groups-help = At every login, the user's groups and memberships follow the identity provider. This needs the group claim configured on your identity provider.
sso-name-id = Name Identifier (NameID)
sso-name-id-help = What the identity provider sends as NameID, in the email address format.
sso-advanced = Advanced
sso-idp-initiated = Accept logins started at the identity provider
sso-idp-initiated-help = Unsolicited responses, without a request from here; off unless your identity provider needs it.
sso-sha1 = Accept SHA-1 signatures
sso-sha1-help = Only for an identity provider that cannot sign with SHA-256.
sso-delete = Delete the configuration
sso-delete-help = Users keep their accounts and log in as the login options allow.
sso-certificate-invalid = The certificate cannot be trusted: { $why }
sso-metadata-invalid = The metadata file cannot be read: it { $why }.
sso-slug-taken = Another configuration uses this SP Entity ID: choose another last segment.

# The console's user page: edit, email, sessions
user-edit = Details and role
user-change-email = Change the email
user-change-email-hint = The user logs in with the new address from now on; the old one is free for another user.
user-sessions-none = No open session.
user-session-opened = Opened
user-session-seen = Last seen
user-session-method = How
user-session-end = End the session
user-session-ended = The session was ended.
users-team = Team
security-option-password = Password
