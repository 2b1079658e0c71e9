## Die Anmeldeseiten und die Kontoseiten, auf Deutsch. Alle Kataloge haben dieselben IDs.

site-name = chronid
skip-to-content = Zum Inhalt springen
language-label = Sprache
footer-terms = Nutzungsbedingungen
footer-privacy = Datenschutz
required-mark = erforderlich

## Anmelden
login-title = Anmelden
login-heading = Bei Ihrem Konto anmelden
login-heading-account = Bei { $account } anmelden
login-field-login = E-Mail oder Benutzername
login-field-password = Passwort
login-submit = Anmelden
login-forgot = Passwort vergessen?
login-failed = E-Mail, Benutzername oder Passwort ist nicht korrekt.
login-locked = Dieser Benutzer ist gesperrt. Versuchen Sie es später erneut oder bitten Sie Ihren Administrator, ihn zu entsperren.
login-disabled = Dieser Benutzer ist deaktiviert. Wenden Sie sich an Ihren Administrator.
login-method-not-allowed = Dieses Konto erlaubt keine Anmeldung mit Passwort.
login-not-this-account = Dieser Benutzer gehört nicht zu diesem Konto.
login-again = Erneut anmelden
logged-out = Sie sind abgemeldet.
session-ended = Ihre Sitzung ist beendet. Melden Sie sich erneut an.
field-required = Bitte füllen Sie dieses Feld aus.
field-too-long = Diese Eingabe ist zu lang.

## Konto auswählen
choose-title = Konto auswählen
choose-intro = Ihre E-Mail-Adresse und Ihr Passwort gelten für mehrere Konten. Welches möchten Sie verwenden?
choose-submit = Weiter
login-expired = Die Anmeldung hat zu lange gedauert. Melden Sie sich erneut an.

## Der zweite Faktor
code-title = Bestätigungscode
code-intro-email = Wir haben einen Bestätigungscode an Ihre E-Mail-Adresse gesendet.
code-intro-sms = Wir haben einen Bestätigungscode per SMS an Ihr Telefon gesendet.
code-intro-voice = Wir rufen Sie an und lesen Ihnen einen Bestätigungscode vor.
code-intro-totp = Öffnen Sie Ihre Authenticator-App und geben Sie den angezeigten Code ein.
code-field = Code
code-hint = Sechs Ziffern.
code-submit = Bestätigen
code-tries-left = { $tries ->
    [one] Noch { $tries } Versuch.
   *[other] Noch { $tries } Versuche.
}
code-wrong = Der Code ist nicht korrekt.
code-reused = Dieser Code wurde bereits verwendet. Warten Sie auf den nächsten.
code-exhausted = Zu viele falsche Codes. Melden Sie sich erneut an, um einen neuen zu erhalten.
code-invalid-format = Ein Code besteht aus sechs Ziffern.
code-resend = Neuen Code senden
code-resend-note = Nicht erhalten? Sie können sich einen neuen Code senden lassen, höchstens { $tries } in 15 Minuten.
code-trust-note = Nach diesem Schritt wird dieser Browser als vertrauenswürdiges Gerät gespeichert.

## Vom Administrator verlangte Einrichtung der Authenticator-App
enrol-title = Authenticator-App einrichten
enrol-intro = Ihr Administrator verlangt eine Authenticator-App. Scannen Sie das Bild mit der App oder geben Sie den Schlüssel ein und tragen Sie dann den angezeigten Code ein.
enrol-qr-alt = QR-Code zum Scannen mit Ihrer Authenticator-App
enrol-key = Schlüssel zur manuellen Eingabe
enrol-submit = Bestätigen

## Passwortänderung erforderlich
change-title = Neues Passwort wählen
change-intro = Ihr Passwort ist abgelaufen. Wählen Sie ein neues.
field-new-password = Neues Passwort
field-new-password-repeat = Neues Passwort wiederholen
password-rule = Mindestens { $min } Zeichen.
password-mismatch = Die beiden Passwörter stimmen nicht überein.
password-too-short = Das Passwort muss mindestens { $min } Zeichen lang sein.
change-submit = Passwort speichern
password-changed = Ihr Passwort wurde geändert. Melden Sie sich damit an.

## Passwort vergessen und zurücksetzen
forgot-title = Passwort vergessen?
forgot-intro = Geben Sie Ihre E-Mail-Adresse oder Ihren Benutzernamen ein. Wenn ein Benutzer dazu existiert, senden wir einen Link, mit dem Sie ein neues Passwort wählen können.
forgot-submit = Link senden
forgot-sent = Falls diese Anmeldung existiert, ist ein Link unterwegs. Er funktioniert einmal und ist eine Stunde lang gültig.
forgot-back = Zurück zur Anmeldung
reset-title = Passwort zurücksetzen
reset-intro = Wählen Sie ein neues Passwort für Ihr Konto.
reset-submit = Passwort speichern
reset-invalid = Dieser Link ist nicht mehr gültig. Fordern Sie einen neuen an.

## Die Kontoseiten
account-title = Mein Profil
account-nav = Konto
tab-profile = Profil
tab-security = Sicherheit
profile-name = Name
profile-email = E-Mail
profile-username = Benutzername
profile-phone = Telefon
profile-language = Sprache
profile-account = Konto
profile-roles = Rollen
profile-none = Nicht festgelegt
logout = Abmelden
saved = Gespeichert.

## Der Tab „Sicherheit“
totp-heading = Authenticator-App
totp-on = Eine Authenticator-App ist eingerichtet.
totp-off = Es ist keine Authenticator-App eingerichtet.
totp-pending = Scannen Sie das Bild mit Ihrer Authenticator-App und bestätigen Sie dann mit dem angezeigten Code.
totp-enable = Authenticator-App einrichten
totp-confirm = Bestätigen
totp-reset = Authenticator-App zurücksetzen
totp-reset-help = Geben Sie den aktuellen Code ein; die App erhält dann einen neuen Schlüssel zum Scannen.
totp-disable = Authenticator-App deaktivieren
totp-disable-help = Geben Sie den aktuellen Code ein, um die Authenticator-App zu deaktivieren.
totp-enabled = Ihre Authenticator-App ist eingerichtet.
totp-disabled = Ihre Authenticator-App ist deaktiviert.
totp-wrong = Der Code ist nicht korrekt.
two-factor-required-note = Für Ihren Benutzer ist auf neuen Geräten ein zweiter Faktor erforderlich.
channel-heading = Wohin Codes gesendet werden
channel-email = E-Mail
channel-sms = SMS
channel-voice = Anruf
channel-totp = Authenticator-App
channel-save = Speichern
channel-needs-phone = Fügen Sie zuerst eine Telefonnummer hinzu (wenden Sie sich an Ihren Administrator).
channel-needs-totp = Richten Sie zuerst die Authenticator-App ein.
password-heading = Passwort ändern
field-current-password = Aktuelles Passwort
password-wrong = Das aktuelle Passwort ist nicht korrekt.
sessions-heading = Offene Sitzungen
session-this = Diese Sitzung
session-opened = Geöffnet
session-last-seen = Zuletzt verwendet
session-expires = Endet
session-revoke = Sitzung beenden
sessions-none = Keine weiteren Sitzungen.
devices-heading = Vertrauenswürdige Geräte
devices-intro = Auf diesen Geräten wird kein Bestätigungscode abgefragt, bis das Vertrauen abläuft.
device-this = Dieses Gerät
device-trusted-until = Vertrauenswürdig bis
device-revoke = Gerät vergessen
devices-none = Keine vertrauenswürdigen Geräte.
unknown = unbekannt

## Fehler, die jede Seite anzeigen kann
error-title = Etwas ist schiefgelaufen
error-csrf = Dieses Formular ist abgelaufen. Laden Sie die Seite neu und versuchen Sie es erneut.
error-rate = Zu viele Versuche von Ihrer Adresse. Warten Sie { $secs } Sekunden und versuchen Sie es dann erneut.
error-internal = Bei uns ist etwas schiefgelaufen. Versuchen Sie es gleich noch einmal.
error-other = Das konnte nicht ausgeführt werden ({ $code }).
not-found-title = Seite nicht gefunden
not-found-text = Unter dieser Adresse gibt es keine Seite.
password-reused = Wählen Sie ein Passwort, das Sie noch nicht verwendet haben.
totp-required-by-admin = Ihr Administrator verlangt eine Authenticator-App: Sie kann nicht ausgeschaltet werden.
code-sent = Ein neuer Code ist unterwegs.
code-too-many = Es wurden zu viele Codes gesendet. Warten Sie { $secs } Sekunden und fragen Sie dann erneut.

## Single Sign-On
login-sso-link = Mit SSO anmelden
sso-title = Mit SSO anmelden
sso-intro = Geben Sie Ihre E-Mail-Adresse ein, um sich über den Identitätsanbieter Ihrer Organisation anzumelden.
sso-field-email = E-Mail
sso-submit = Weiter
sso-field-sp-url = SP-Initiierungs-URL
sso-sp-url-intro = Geben Sie die SP-Initiierungs-URL ein, die Ihr Administrator Ihnen mitgeteilt hat. Sie sieht so aus: { $example }
sso-sp-url-invalid = Das ist keine SP-Initiierungs-URL dieses Dienstes.
sso-choose-intro = Sie sind Benutzer mehrerer Konten, die sich über diesen Identitätsanbieter anmelden. Welches möchten Sie verwenden?
sso-refused-title = Single Sign-On war nicht erfolgreich
sso-refused-response = Die Antwort des Identitätsanbieters konnte nicht angenommen werden. Beginnen Sie erneut mit Ihrer SP-Initiierungs-URL; wenn es wieder passiert, informieren Sie Ihren Administrator.
sso-refused-stale = Diese Anmeldung ist abgelaufen oder wurde bereits verwendet. Beginnen Sie erneut mit Ihrer SP-Initiierungs-URL.
sso-refused-unknown-user = In diesem Konto gibt es keinen Benutzer mit Ihrer E-Mail-Adresse. Bitten Sie einen Administrator des Kontos, einen anzulegen.
sso-refused-not-allowed = Dieses Konto erlaubt keine Anmeldung mit Single Sign-On.
sso-refused-user = Ihr Benutzer ist gesperrt oder deaktiviert. Wenden Sie sich an einen Administrator Ihres Kontos.
sso-refused-idp = Der Identitätsanbieter hat Sie nicht angemeldet.
sso-refused-reference = Referenz: { $code }
sso-groups-title = Ihre Teams haben sich geändert
sso-groups-intro = Die Gruppen Ihres Identitätsanbieters haben Ihre Teams in { $account } geändert.
sso-groups-added = Hinzugefügt zu
sso-groups-removed = Entfernt aus
sso-groups-submit = Verstanden
sso-email-invalid = Das ist keine E-Mail-Adresse.
sso-onward = Weiter zu Ihrem Identitätsanbieter
sso-start-title = Mit Single Sign-On anmelden
sso-start-intro = Sie sind einem Link von einer anderen Website gefolgt, um sich über den Identitätsanbieter bei { $account } anzumelden. Fahren Sie nur fort, wenn Sie das wollten.
sso-start-continue = Weiter

# Google and GitHub login
login-with-google = Mit Google anmelden
login-with-github = Mit GitHub anmelden
external-unavailable = Der Anmeldeanbieter ist gerade nicht erreichbar. Versuchen Sie es gleich noch einmal oder melden Sie sich anders an.
external-choose-intro = Ihre E-Mail-Adresse gehört zu Benutzern mehrerer Konten, die diese Anmeldung erlauben. Welches möchten Sie verwenden?
external-refused-title = Anmeldung nicht erfolgreich
external-refused-stale = Diese Anmeldung ist abgelaufen, wurde schon verwendet oder in einem anderen Browser begonnen. Beginnen Sie erneut auf der Anmeldeseite.
external-refused-response = Die Antwort von { $provider } konnte nicht angenommen werden. Beginnen Sie erneut; geschieht es wieder, informieren Sie Ihren Administrator.
external-refused-unverified = { $provider } hat Ihre E-Mail-Adresse nicht bestätigt. Bestätigen Sie sie bei { $provider } und versuchen Sie es erneut.
external-refused-no-account = In keinem Konto, das die Anmeldung mit { $provider } erlaubt, gibt es einen Benutzer mit Ihrer { $provider }-E-Mail-Adresse. Wenden Sie sich an einen Administrator Ihres Kontos.
external-refused-not-allowed = Ihr Konto erlaubt die Anmeldung mit { $provider } nicht.
external-refused-user = Ihr Benutzer ist gesperrt oder deaktiviert. Wenden Sie sich an einen Administrator Ihres Kontos.
external-refused-cancelled = Die Anmeldung wurde bei { $provider } nicht abgeschlossen.
identities-heading = Verknüpfte Identitäten
identities-intro = Google-, GitHub- und Single-Sign-On-Identitäten, mit denen Sie sich anmelden. Eine getrennte Identität findet Sie nicht mehr; Ihre bestätigte E-Mail-Adresse kann sie bei der nächsten Anmeldung wieder verknüpfen.
identities-none = Noch ist keine Identität mit Ihnen verknüpft.
identity-provider = Anbieter
identity-subject = Kennung
identity-unlink = Trennen
identity-unlinked = Die Identität wurde getrennt.

# The console
console-title = Konsole
console-nav = Konsole
console-intro = Hier verwalten Sie Ihr Konto. Jeder Bereich zeigt nur, was Ihre Rolle erlaubt.
console-forbidden = Diese Seite ist für die Administratoren des Kontos.
audit-title = Audit-Protokoll
audit-filters = Filter
audit-username = Benutzername
audit-ip = IP-Adresse
audit-text = Beschreibung enthält
audit-range = Zeitraum
audit-range-any = Jederzeit
audit-range-last-15-minutes = Letzte 15 Minuten
audit-range-today = Heute
audit-range-yesterday = Gestern
audit-range-this-week = Diese Woche
audit-range-last-week = Letzte Woche
audit-from = Von
audit-to = Bis
audit-time-hint = Datum und Uhrzeit in der Zeitzone des Kontos ({ $zone })
audit-apply = Filter anwenden
audit-clear = Zurücksetzen
audit-entries = Einträge, neueste zuerst
audit-none = Kein Eintrag passt zu diesen Filtern.
audit-older = Ältere Einträge
audit-export-csv = Als CSV herunterladen
audit-export-jsonl = Als JSON Lines herunterladen
audit-col-time = Zeit
audit-col-account = Konto
audit-col-username = Benutzername
audit-col-ip = IP-Adresse
audit-col-description = Beschreibung
audit-chart = Anmeldungen pro Stunde
audit-chart-logins = Anmeldungen
audit-chart-failed = Fehlgeschlagene Anmeldungen
audit-chart-summary = { $logins } Anmeldungen und { $failed } fehlgeschlagene Anmeldungen von { $from } bis { $to } ({ $zone }).
audit-bad-page = Diese Seite des Audit-Protokolls gibt es nicht. Beginnen Sie wieder auf der ersten Seite.
audit-bad-format = Wählen Sie CSV oder JSON Lines.

# The console's users
users-title = Benutzer
users-heading = Benutzer
users-search = Suche (E-Mail, Benutzername, Name, Telefon)
users-status = Status
users-role = Rolle
users-any = Alle
users-none = Kein Benutzer passt.
users-next = Nächste Seite
users-back = Alle Benutzer
users-bad-filter = Wählen Sie Status und Rolle aus den Listen.
users-col-name = Name
users-col-email = E-Mail
users-col-roles = Rollen
users-col-last-login = Letzte Anmeldung
user-status-invited = Eingeladen
user-status-active = Aktiv
user-status-disabled = Deaktiviert
user-status-locked = Gesperrt
user-reason-admin = von einem Administrator
user-reason-inactivity = zu lange inaktiv
user-reason-policy = zu viele fehlgeschlagene Anmeldungen
user-details = Angaben
user-phone = Telefon
user-two-factor-required = Zwei-Faktor-Authentifizierung verlangt
user-failed-attempts = Fehlversuche in Folge
user-actions = Aktionen
user-disable = Deaktivieren
user-enable = Aktivieren
user-lock = Sperren
user-unlock = Entsperren
user-password-reset = Link zum Zurücksetzen des Passworts senden
user-two-factor-on = Zwei-Faktor-Authentifizierung verlangen
user-two-factor-off = Zwei-Faktor-Authentifizierung ausschalten und Authenticator entfernen
users-yes = Ja
users-no = Nein
reset-link-sent = Der Link zum Zurücksetzen des Passworts wurde gesendet.
field-invalid = Dieser Wert kann nicht übernommen werden: Prüfen Sie ihn und versuchen Sie es erneut.
email-taken = Ein Benutzer dieses Kontos hat diese E-Mail-Adresse bereits.
users-create = Benutzer anlegen
users-create-submit = Anlegen
users-first-name = Vorname
users-last-name = Nachname
users-member = Mitglied (keine Rolle)
user-created = Der Benutzer wurde angelegt.

# The console's security settings
security-title = Sicherheitseinstellungen
security-policy = Sicherheitsrichtlinie für Benutzerkonten
security-inactivity = Maximale Inaktivität (Tage)
security-inactivity-hint = Ein Benutzer, der sich so viele Tage nicht angemeldet hat, wird deaktiviert: 15 bis 365; leer für nie.
security-attempts = Maximale Anmeldeversuche
security-attempts-hint = Fehlgeschlagene Anmeldungen in Folge, bevor der Benutzer gesperrt wird: 1 bis 100; 5 wird empfohlen.
security-validity = Gültigkeit des Passworts (Tage)
security-validity-hint = Tage, die ein Passwort gültig bleibt: 1 bis 3650, 90 wird empfohlen; leer für kein Ablaufdatum.
security-two-factor = Zwei-Faktor-Authentifizierung für alle Benutzer
security-two-factor-off = Aus
security-two-factor-new-device = Auf einem neuen Gerät
security-two-factor-every-login = Bei jeder Anmeldung
security-lockout = Was fehlgeschlagene Anmeldungen sperren
security-lockout-account = Den Benutzer auf jedem Gerät
security-lockout-untrusted = Nur Anmeldungen von Geräten, denen der Benutzer nicht vertraut
security-lock-minutes = Sperre endet nach (Minuten)
security-lock-minutes-hint = 1 bis 10080; leer: bis ein Administrator den Benutzer entsperrt.
security-save = Speichern
security-login-options = Anmeldeoptionen
security-login-options-legend = Benutzer dieses Kontos dürfen sich anmelden mit

# The console's API keys
keys-title = API-Schlüssel
keys-create = API-Schlüssel anlegen
keys-create-submit = Schlüssel anlegen
keys-name = Name
keys-valid-until = Gültig bis
keys-no-expiry = Leer: kein Ablauf.
keys-none = Noch kein API-Schlüssel.
keys-created = API-Schlüssel „{ $name }“ angelegt
keys-shown-once = Kopieren Sie den Schlüssel jetzt: Er wird nur dieses eine Mal angezeigt.
keys-created-at = Angelegt
keys-never = Nie
keys-active = Aktiv
keys-expired = Abgelaufen
keys-revoked = Widerrufen
keys-rename = Umbenennen
keys-set-expiry = Ablauf setzen
keys-revoke = Widerrufen

# The console's teams
teams-title = Teams
teams-create = Team anlegen
teams-create-submit = Team anlegen
teams-none = Noch kein Team.
teams-members = Mitglieder
teams-managed = Verwaltet
teams-by-sso = durch SSO
teams-back = Alle Teams
teams-sso-read-only = Die SSO-Gruppensynchronisierung verwaltet dieses Team: Seine Mitglieder folgen dem Identitätsanbieter und sind nur lesbar.
teams-no-members = Noch kein Mitglied.
teams-remove = Entfernen
teams-add-label = Den Benutzer mit der E-Mail-Adresse hinzufügen
teams-add = Hinzufügen
teams-settings = Team
teams-delete = Team löschen

# The console's user history
history-title = Verlauf
history-back = Zurück zum Benutzer
history-as-of = Stand
history-as-of-field = Der Benutzer zum Zeitpunkt
history-show = Anzeigen
history-not-yet = Den Benutzer gab es noch nicht.
history-timeline = Zeitleiste
history-events = Ereignisse, neueste zuerst
history-col-event = Ereignis
history-none = Noch kein Ereignis.
history-summary = { $count ->
    [one] { $count } Ereignis von { $from } bis { $to }.
   *[other] { $count } Ereignisse von { $from } bis { $to }.
}
user-history = Verlauf
user-identities-none = Mit diesem Benutzer ist keine Identität verknüpft.

# The console's customization
custom-title = Anpassung
custom-look = Sprache, Design und Login-Hostname
custom-language = Sprache der Oberfläche
custom-language-hint = Die Sprache der Login-Seiten und der E-Mails für Benutzer, die keine gewählt haben.
custom-theme = Design
custom-theme-light = Hell
custom-theme-dark = Dunkel
custom-theme-system = Wie auf dem Gerät des Benutzers eingestellt
custom-time-zone = Zeitzone
custom-time-zone-hint = Die Konsole und das Audit-Protokoll zeigen Zeiten in dieser Zone.
custom-hostname = Login-Hostname
custom-hostname-hint = Ein Name Ihrer Domain, unter dem sich Ihre Benutzer mit Ihrem Logo und Design anmelden, etwa login.example.com. Leer: keiner.
custom-dns = Der anzulegende DNS-Eintrag
custom-dns-hint = Legen Sie diesen Eintrag bei Ihrem DNS-Anbieter an, damit der Hostname die Login-Seiten erreicht.
custom-dns-type = Typ
custom-dns-name = Name
custom-dns-value = Wert
custom-logo = Logo
custom-logo-file = Logo-Bild
custom-logo-hint = Ein PNG- oder JPEG-Bild von höchstens 150 x 150 Pixeln.
custom-logo-upload = Logo hochladen
custom-logo-remove = Logo entfernen
custom-logo-none = Noch kein Logo.
custom-logo-alt = Das Logo des Kontos
custom-logo-size = { $width } x { $height } Pixel
custom-preview = Vorschau der Login-Seite
custom-preview-at = Ihre Benutzer sehen sie unter
logo-too-large = Das Bild kann nicht hochgeladen werden: Es ist größer als { $max } x { $max } Pixel.
logo-invalid = Die Datei lässt sich nicht als PNG- oder JPEG-Bild lesen.
logo-missing = Wählen Sie eine Bilddatei.
hostname-taken = Ein anderes Konto meldet sich bereits unter diesem Hostnamen an.

# The console's single sign-on
sso-console-title = Single Sign-On
sso-console-intro = Mit SAML 2.0 Single Sign-On melden sich Ihre Benutzer über Ihren Identitätsanbieter (IdP) an. Nur ein Account Manager kann die Konfiguration anlegen und ändern.
sso-configure = Single Sign-On konfigurieren
sso-none = Noch keine Single-Sign-On-Konfiguration.
sso-edit = Konfiguration ändern
sso-shared = Ein anderes Konto besitzt diese Konfiguration und teilt sie mit diesem Konto; dessen Manager ändern sie.
sso-new-title = Neue Single-Sign-On-Konfiguration
sso-edit-title = Single-Sign-On-Konfiguration
sso-idp-heading = Identitätsanbieter
sso-sp-heading = Dienstanbieter
sso-idp-metadata = IdP-Metadaten-Datei (optional)
sso-idp-metadata-help = Die Metadaten-XML Ihres Identitätsanbieters füllt die IdP-Felder unten aus; ein eingegebenes Feld hat Vorrang vor der Datei.
sso-idp-entity-id = IdP-Kennung
sso-idp-entity-id-help = Eine Systeminstanz oder ein Aussteller, der Identitätsinformationen für Prinzipale erstellt, pflegt und verwaltet.
sso-idp-certificate = IdP-Signaturzertifikat
sso-idp-certificate-help = Das Zertifikat des Identitätsanbieters, mit dem die SAML-Assertion signiert wird: ein bis vier PEM-Blöcke, jeder jetzt gültig, RSA mit mindestens 2048 Bit oder eine elliptische Kurve.
sso-idp-certificate-file = Oder die Zertifikatsdatei hochladen (PEM oder DER)
sso-idp-sso-url = IdP-Single-Sign-On-URL
sso-idp-sso-url-help = Der SAML-2.0-Endpunkt (HTTP), der die Anmelde-URL des Identitätsanbieters darstellt.
sso-logout-url = Logout-URL
sso-logout-url-help = Die URL Ihres Identitätsanbieters, zu der alle Benutzer nach dem Abmelden hier weitergeleitet werden, um ihre Sitzung beim Identitätsanbieter zu beenden.
sso-sp-entity-id = SP-Entity-ID
sso-sp-entity-id-help = Die URL, die diesen Dienstanbieter eindeutig bezeichnet. Damit startet die SSO-Anmeldung; teilen Sie sie mit allen Benutzern des Kontos.
sso-slug-help = Geben Sie ihr letztes Segment ein, etwa den Namen Ihres Unternehmens.
sso-acs-url = SP-Assertion-Consumer-URL
sso-acs-url-help = Wohin der Identitätsanbieter SAML-Assertions sendet; tragen Sie sie bei Ihrem Identitätsanbieter ein. Sie wird beim Speichern der Konfiguration zufällig erzeugt.
sso-metadata-download = SP-Metadaten (XML) für Ihren Identitätsanbieter herunterladen
sso-certificates = Vertrauenswürdige IdP-Zertifikate
sso-certificate-expires = läuft am { $date } ab
sso-certificate-soon = Läuft innerhalb von 30 Tagen ab: Fügen Sie jetzt das neue Zertifikat hinzu.
sso-certificate-untrusted = Nicht vertrauenswürdig: { $why }
sso-auto-users = Benutzer automatisch anlegen
sso-auto-users-help = Benutzer, die sich über den Identitätsanbieter anmelden und nicht anhand ihrer E-Mail gefunden werden, werden mit ihren Grunddaten angelegt.
sso-auto-groups = Gruppen automatisch anlegen
sso-auto-groups-help = Bei jeder Anmeldung folgen die Gruppen und Mitgliedschaften des Benutzers dem Identitätsanbieter. Dafür muss der Gruppen-Claim bei Ihrem Identitätsanbieter eingerichtet sein.
sso-name-id = Namenskennung (NameID)
sso-name-id-help = Was der Identitätsanbieter als NameID sendet, im Format einer E-Mail-Adresse.
sso-advanced = Erweitert
sso-idp-initiated = Beim Identitätsanbieter gestartete Anmeldungen annehmen
sso-idp-initiated-help = Unaufgeforderte Antworten ohne Anfrage von hier; aus, solange Ihr Identitätsanbieter es nicht braucht.
sso-sha1 = SHA-1-Signaturen annehmen
sso-sha1-help = Nur für einen Identitätsanbieter, der nicht mit SHA-256 signieren kann.
sso-delete = Konfiguration löschen
sso-delete-help = Die Benutzer behalten ihre Konten und melden sich an, wie die Anmeldeoptionen es erlauben.
sso-certificate-invalid = Dem Zertifikat kann nicht vertraut werden: { $why }
sso-metadata-invalid = Die Metadaten-Datei kann nicht gelesen werden: { $why }.
sso-slug-taken = Eine andere Konfiguration verwendet diese SP-Entity-ID: Wählen Sie ein anderes letztes Segment.

# The console's user page: edit, email, sessions
user-edit = Angaben und Rolle
user-change-email = E-Mail ändern
user-change-email-hint = Der Benutzer meldet sich ab jetzt mit der neuen Adresse an; die alte ist für andere Benutzer frei.
user-sessions-none = Keine offene Sitzung.
user-session-opened = Geöffnet
user-session-seen = Zuletzt gesehen
user-session-method = Wie
user-session-end = Sitzung beenden
user-session-ended = Die Sitzung wurde beendet.
users-team = Team
security-option-password = Passwort
