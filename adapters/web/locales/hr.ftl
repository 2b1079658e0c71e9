## Stranice za prijavu i stranice računa, na hrvatskom. Svi katalozi imaju iste identifikatore.

site-name = chronid
skip-to-content = Preskoči na sadržaj
language-label = Jezik
footer-terms = Uvjeti korištenja
footer-privacy = Privatnost
required-mark = obavezno

## Prijava
login-title = Prijava
login-heading = Prijavite se na svoj račun
login-heading-account = Prijavite se u račun { $account }
login-field-login = E-pošta ili korisničko ime
login-field-password = Lozinka
login-submit = Prijavi se
login-forgot = Zaboravili ste lozinku?
login-failed = E-pošta, korisničko ime ili lozinka nisu točni.
login-locked = Ovaj je korisnik zaključan. Pokušajte ponovno kasnije ili zamolite administratora da ga otključa.
login-disabled = Ovaj je korisnik onemogućen. Obratite se administratoru.
login-method-not-allowed = Ovaj račun ne dopušta prijavu lozinkom.
login-not-this-account = Ovaj korisnik ne pripada ovom računu.
login-again = Ponovna prijava
logged-out = Odjavljeni ste.
session-ended = Vaša je sesija završila. Prijavite se ponovno.
field-required = Ispunite ovo polje.
field-too-long = Unos je predug.

## Odabir računa
choose-title = Odaberite račun
choose-intro = Vaša e-pošta i lozinka vrijede za više računa. Koji želite upotrijebiti?
choose-submit = Nastavi
login-expired = Prijava je trajala predugo. Prijavite se ponovno.

## Drugi faktor
code-title = Kôd za provjeru
code-intro-email = Poslali smo kôd za provjeru na Vašu adresu e-pošte.
code-intro-sms = Poslali smo kôd za provjeru SMS porukom na Vaš telefon.
code-intro-voice = Zovemo Vaš telefon kako bismo Vam pročitali kôd za provjeru.
code-intro-totp = Otvorite aplikaciju za autentifikaciju i upišite kôd koji prikazuje.
code-field = Kôd
code-hint = Šest znamenki.
code-submit = Potvrdi
code-tries-left = { $tries ->
    [one] Preostao je { $tries } pokušaj.
    [few] Preostala su { $tries } pokušaja.
   *[other] Preostalo je { $tries } pokušaja.
}
code-wrong = Kôd nije točan.
code-reused = Ovaj je kôd već iskorišten. Pričekajte sljedeći.
code-exhausted = Previše pogrešnih kodova. Prijavite se ponovno da biste dobili novi.
code-invalid-format = Kôd se sastoji od šest znamenki.
code-resend = Pošalji novi kôd
code-resend-note = Niste ga dobili? Možete zatražiti novi kôd, najviše { $tries } u 15 minuta.
code-trust-note = Kada prođete ovaj korak, ovaj će preglednik biti zapamćen kao pouzdani uređaj.

## Postavljanje aplikacije za autentifikaciju koje zahtijeva administrator
enrol-title = Postavite aplikaciju za autentifikaciju
enrol-intro = Administrator zahtijeva aplikaciju za autentifikaciju. Skenirajte sliku aplikacijom ili upišite ključ, a zatim unesite kôd koji aplikacija prikazuje.
enrol-qr-alt = QR kôd za skeniranje aplikacijom za autentifikaciju
enrol-key = Ključ za ručni unos
enrol-submit = Potvrdi

## Obavezna promjena lozinke
change-title = Odaberite novu lozinku
change-intro = Vaša je lozinka istekla. Odaberite novu.
field-new-password = Nova lozinka
field-new-password-repeat = Ponovite novu lozinku
password-rule = Najmanji broj znakova: { $min }.
password-mismatch = Lozinke se ne podudaraju.
password-too-short = Lozinka je prekratka. Najmanji broj znakova: { $min }.
change-submit = Spremi lozinku
password-changed = Vaša je lozinka promijenjena. Prijavite se novom lozinkom.

## Zaboravljena lozinka i ponovno postavljanje
forgot-title = Zaboravili ste lozinku?
forgot-intro = Unesite svoju e-poštu ili korisničko ime. Ako pripada nekom korisniku, poslat ćemo poveznicu za odabir nove lozinke.
forgot-submit = Pošalji poveznicu
forgot-sent = Ako ti podaci za prijavu postoje, poveznica je poslana. Može se upotrijebiti jednom, u roku od sat vremena.
forgot-back = Natrag na prijavu
reset-title = Ponovno postavljanje lozinke
reset-intro = Odaberite novu lozinku za svoj račun.
reset-submit = Spremi lozinku
reset-invalid = Ova poveznica više nije valjana. Zatražite novu.

## Stranice računa
account-title = Moj profil
account-nav = Račun
tab-profile = Profil
tab-security = Sigurnost
profile-name = Ime
profile-email = E-pošta
profile-username = Korisničko ime
profile-phone = Telefon
profile-language = Jezik
profile-account = Račun
profile-roles = Uloge
profile-none = Nije postavljeno
logout = Odjava
saved = Spremljeno.

## Kartica Sigurnost
totp-heading = Aplikacija za autentifikaciju
totp-on = Aplikacija za autentifikaciju je postavljena.
totp-off = Aplikacija za autentifikaciju nije postavljena.
totp-pending = Skenirajte sliku aplikacijom za autentifikaciju, a zatim potvrdite kodom koji prikazuje.
totp-enable = Postavi aplikaciju za autentifikaciju
totp-confirm = Potvrdi
totp-reset = Ponovno postavi aplikaciju za autentifikaciju
totp-reset-help = Upišite trenutačni kôd; aplikacija će zatim dobiti novi ključ za skeniranje.
totp-disable = Isključi aplikaciju za autentifikaciju
totp-disable-help = Upišite trenutačni kôd kako biste isključili aplikaciju za autentifikaciju.
totp-enabled = Vaša je aplikacija za autentifikaciju postavljena.
totp-disabled = Vaša je aplikacija za autentifikaciju isključena.
totp-wrong = Kôd nije točan.
two-factor-required-note = Za Vašeg korisnika na novim je uređajima potreban drugi faktor.
channel-heading = Kamo se šalju kodovi
channel-email = E-pošta
channel-sms = SMS poruka
channel-voice = Glasovni poziv
channel-totp = Aplikacija za autentifikaciju
channel-save = Spremi
channel-needs-phone = Najprije dodajte broj telefona (obratite se administratoru).
channel-needs-totp = Najprije postavite aplikaciju za autentifikaciju.
password-heading = Promjena lozinke
field-current-password = Trenutačna lozinka
password-wrong = Trenutačna lozinka nije točna.
sessions-heading = Otvorene sesije
session-this = Ova sesija
session-opened = Otvorena
session-last-seen = Zadnja upotreba
session-expires = Završava
session-revoke = Završi sesiju
sessions-none = Nema drugih sesija.
devices-heading = Pouzdani uređaji
devices-intro = Na ovim se uređajima ne traži kôd za provjeru dok pouzdanost ne istekne.
device-this = Ovaj uređaj
device-trusted-until = Pouzdan do
device-revoke = Zaboravi uređaj
devices-none = Nema pouzdanih uređaja.
unknown = nepoznato

## Pogreške koje može prikazati svaka stranica
error-title = Nešto je pošlo po zlu
error-csrf = Ovaj je obrazac istekao. Ponovno učitajte stranicu i pokušajte ponovno.
error-rate = Previše pokušaja s Vaše adrese. Pričekajte { $secs } s, a zatim pokušajte ponovno.
error-internal = Nešto je pošlo po zlu kod nas. Pokušajte ponovno za trenutak.
error-other = To nije bilo moguće izvršiti ({ $code }).
not-found-title = Stranica nije pronađena
not-found-text = Na ovoj adresi nema stranice.
password-reused = Odaberite lozinku koju još niste koristili.
totp-required-by-admin = Vaš administrator zahtijeva aplikaciju za autentifikaciju: ne može se isključiti.
code-sent = Novi kôd je na putu.
code-too-many = Poslano je previše kodova. Pričekajte { $secs } s pa zatražite ponovno.

## Jedinstvena prijava
login-sso-link = Prijava putem SSO-a
sso-title = Prijava putem SSO-a
sso-intro = Unesite svoju e-adresu za prijavu putem davatelja identiteta svoje organizacije.
sso-field-email = E-adresa
sso-submit = Nastavi
sso-field-sp-url = SP URL za pokretanje
sso-sp-url-intro = Unesite SP URL za pokretanje koji vam je dao administrator. Izgleda ovako: { $example }
sso-sp-url-invalid = Ovo nije SP URL za pokretanje ove usluge.
sso-choose-intro = Korisnik ste više računa koji se prijavljuju putem ovog davatelja identiteta. Koji želite koristiti?
sso-refused-title = Jedinstvena prijava nije uspjela
sso-refused-response = Odgovor davatelja identiteta nije moguće prihvatiti. Počnite ponovno od svog SP URL-a za pokretanje; ako se ponovi, obavijestite administratora.
sso-refused-stale = Ova je prijava istekla ili je već iskorištena. Počnite ponovno od svog SP URL-a za pokretanje.
sso-refused-unknown-user = U ovom računu nema korisnika s vašom e-adresom. Zamolite administratora računa da ga izradi.
sso-refused-not-allowed = Ovaj račun ne dopušta prijavu jedinstvenom prijavom.
sso-refused-user = Vaš je korisnik zaključan ili onemogućen. Obratite se administratoru svog računa.
sso-refused-idp = Davatelj identiteta vas nije prijavio.
sso-refused-reference = Referenca: { $code }
sso-groups-title = Vaši su se timovi promijenili
sso-groups-intro = Grupe vašeg davatelja identiteta promijenile su vaše timove u računu { $account }.
sso-groups-added = Dodani u
sso-groups-removed = Uklonjeni iz
sso-groups-submit = Razumijem
sso-email-invalid = Ovo nije e-adresa.
sso-onward = Nastavite do svog davatelja identiteta
sso-start-title = Prijava jedinstvenom prijavom
sso-start-intro = Slijedili ste poveznicu s druge stranice za prijavu u { $account } putem njegova davatelja identiteta. Nastavite samo ako ste to htjeli.
sso-start-continue = Nastavi

# Google and GitHub login
login-with-google = Prijava putem Googlea
login-with-github = Prijava putem GitHuba
external-unavailable = Pružatelj prijave trenutačno nije dostupan. Pokušajte ponovno za trenutak ili se prijavite na drugi način.
external-choose-intro = Vaša e-pošta pripada korisnicima više računa koji dopuštaju ovu prijavu. Koji želite koristiti?
external-refused-title = Prijava nije uspjela
external-refused-stale = Ova je prijava istekla, već je korištena ili je započeta u drugom pregledniku. Počnite ponovno sa stranice za prijavu.
external-refused-response = Odgovor pružatelja { $provider } nije prihvaćen. Počnite ponovno; ako se ponovi, obavijestite administratora.
external-refused-unverified = { $provider } nije potvrdio vašu adresu e-pošte. Potvrdite je kod pružatelja { $provider } i pokušajte ponovno.
external-refused-no-account = Nijedan račun koji dopušta prijavu putem { $provider } nema korisnika s vašom e-poštom pružatelja { $provider }. Obratite se administratoru svog računa.
external-refused-not-allowed = Vaš račun ne dopušta prijavu putem { $provider }.
external-refused-user = Vaš je korisnik zaključan ili onemogućen. Obratite se administratoru svog računa.
external-refused-cancelled = Prijava nije dovršena kod pružatelja { $provider }.
identities-heading = Povezani identiteti
identities-intro = Identiteti Googlea, GitHuba i jedinstvene prijave kojima se prijavljujete. Odspojeni identitet vas više ne pronalazi; vaša potvrđena e-pošta može ga ponovno povezati pri sljedećoj prijavi.
identities-none = Još nijedan identitet nije povezan s vama.
identity-provider = Pružatelj
identity-subject = Identifikator
identity-unlink = Odspoji
identity-unlinked = Identitet je odspojen.

# The console
console-title = Konzola
console-nav = Konzola
console-intro = Ovdje upravljate svojim računom. Svaki odjeljak prikazuje samo ono što vaša uloga dopušta.
console-forbidden = Ova je stranica za administratore računa.
audit-title = Revizijski zapisnik
audit-filters = Filtri
audit-username = Korisničko ime
audit-ip = IP adresa
audit-text = Opis sadrži
audit-range = Razdoblje
audit-range-any = Bilo kada
audit-range-last-15-minutes = Zadnjih 15 minuta
audit-range-today = Danas
audit-range-yesterday = Jučer
audit-range-this-week = Ovaj tjedan
audit-range-last-week = Prošli tjedan
audit-from = Od
audit-to = Do
audit-time-hint = Datum i vrijeme u vremenskoj zoni računa ({ $zone })
audit-apply = Primijeni filtre
audit-clear = Očisti
audit-entries = Zapisi, najnoviji prvi
audit-none = Nijedan zapis ne odgovara ovim filtrima.
audit-older = Stariji zapisi
audit-export-csv = Preuzmi kao CSV
audit-export-jsonl = Preuzmi kao JSON Lines
audit-col-time = Vrijeme
audit-col-account = Račun
audit-col-username = Korisničko ime
audit-col-ip = IP adresa
audit-col-description = Opis
audit-chart = Prijave po satu
audit-chart-logins = Prijave
audit-chart-failed = Neuspjele prijave
audit-chart-summary = { $logins } prijava i { $failed } neuspjelih prijava od { $from } do { $to } ({ $zone }).
audit-bad-page = Ova stranica revizijskog zapisnika ne postoji. Počnite ponovno od prve stranice.
audit-bad-format = Odaberite CSV ili JSON Lines.

# The console's users
users-title = Korisnici
users-heading = Korisnici
users-search = Traži (e-pošta, korisničko ime, ime, telefon)
users-status = Stanje
users-role = Uloga
users-any = Bilo koja
users-none = Nijedan korisnik ne odgovara.
users-next = Sljedeća stranica
users-back = Svi korisnici
users-bad-filter = Odaberite stanje i ulogu s popisa.
users-col-name = Ime
users-col-email = E-pošta
users-col-roles = Uloge
users-col-last-login = Zadnja prijava
user-status-invited = Pozvan
user-status-active = Aktivan
user-status-disabled = Onemogućen
user-status-locked = Zaključan
user-reason-admin = od administratora
user-reason-inactivity = predugo neaktivan
user-reason-policy = previše neuspjelih prijava
user-details = Podaci
user-phone = Telefon
user-two-factor-required = Dvofaktorska autentifikacija obavezna
user-failed-attempts = Neuspjeli pokušaji zaredom
user-actions = Radnje
user-disable = Onemogući
user-enable = Omogući
user-lock = Zaključaj
user-unlock = Otključaj
user-password-reset = Pošalji poveznicu za ponovno postavljanje lozinke
user-two-factor-on = Zahtijevaj dvofaktorsku autentifikaciju
user-two-factor-off = Isključi dvofaktorsku autentifikaciju i ukloni autentifikator
users-yes = Da
users-no = Ne
reset-link-sent = Poveznica za ponovno postavljanje lozinke je poslana.
field-invalid = Ova se vrijednost ne može prihvatiti: provjerite je i pokušajte ponovno.
email-taken = Korisnik ovog računa već ima ovu e-poštu.
users-create = Stvori korisnika
users-create-submit = Stvori
users-first-name = Ime
users-last-name = Prezime
users-member = Član (bez uloge)
user-created = Korisnik je stvoren.

# The console's security settings
security-title = Sigurnosne postavke
security-policy = Sigurnosna pravila korisničkih računa
security-inactivity = Najdulja neaktivnost (dani)
security-inactivity-hint = Korisnik koji se ovoliko dana nije prijavio bit će onemogućen: 15 do 365; prazno za nikad.
security-attempts = Najveći broj pokušaja prijave
security-attempts-hint = Neuspjele prijave zaredom prije zaključavanja korisnika: 1 do 100; preporučeno 5.
security-validity = Valjanost lozinke (dani)
security-validity-hint = Dani valjanosti lozinke: 1 do 3650, preporučeno 90; prazno za bez isteka.
security-two-factor = Dvofaktorska autentifikacija za sve korisnike
security-two-factor-off = Isključena
security-two-factor-new-device = Na novom uređaju
security-two-factor-every-login = Pri svakoj prijavi
security-lockout = Što zaključavaju neuspjele prijave
security-lockout-account = Korisnika, na svakom uređaju
security-lockout-untrusted = Samo prijave s uređaja kojima korisnik ne vjeruje
security-lock-minutes = Zaključavanje prestaje nakon (minuta)
security-lock-minutes-hint = 1 do 10080; prazno: dok ga administrator ne otključa.
security-save = Spremi
security-login-options = Mogućnosti prijave
security-login-options-legend = Korisnici ovog računa smiju se prijaviti putem

# The console's API keys
keys-title = API ključevi
keys-create = Stvori API ključ
keys-create-submit = Stvori ključ
keys-name = Naziv
keys-valid-until = Vrijedi do
keys-no-expiry = Prazno: bez isteka.
keys-none = Još nema API ključeva.
keys-created = API ključ „{ $name }” stvoren
keys-shown-once = Kopirajte ključ sada: prikazuje se samo ovaj put.
keys-created-at = Stvoren
keys-never = Nikad
keys-active = Aktivan
keys-expired = Istekao
keys-revoked = Opozvan
keys-rename = Preimenuj
keys-set-expiry = Postavi istek
keys-revoke = Opozovi

# The console's teams
teams-title = Timovi
teams-create = Stvori tim
teams-create-submit = Stvori tim
teams-none = Još nema timova.
teams-members = Članovi
teams-managed = Upravlja
teams-by-sso = SSO
teams-back = Svi timovi
teams-sso-read-only = Ovim timom upravlja SSO sinkronizacija grupa: članovi prate pružatelja identiteta i prikazani su samo za čitanje.
teams-no-members = Još nema članova.
teams-remove = Ukloni
teams-add-label = Dodaj korisnika s e-poštom
teams-add = Dodaj
teams-settings = Tim
teams-delete = Izbriši tim

# The console's user history
history-title = Povijest
history-back = Natrag na korisnika
history-as-of = Stanje u trenutku
history-as-of-field = Korisnik u trenutku
history-show = Prikaži
history-not-yet = Korisnik tada još nije postojao.
history-timeline = Vremenska crta
history-events = Događaji, najnoviji prvi
history-col-event = Događaj
history-none = Još nema događaja.
history-summary = { $count ->
    [one] { $count } događaj od { $from } do { $to }.
    [few] { $count } događaja od { $from } do { $to }.
   *[other] { $count } događaja od { $from } do { $to }.
}
user-history = Povijest
user-identities-none = S ovim korisnikom nije povezan nijedan identitet.

# The console's customization
custom-title = Prilagodba
custom-look = Jezik, tema i naziv hosta za prijavu
custom-language = Jezik sučelja
custom-language-hint = Jezik stranica za prijavu i e-poruka za korisnike koji nisu odabrali jezik.
custom-theme = Tema
custom-theme-light = Svijetla
custom-theme-dark = Tamna
custom-theme-system = Kako je postavljeno na uređaju korisnika
custom-time-zone = Vremenska zona
custom-time-zone-hint = Konzola i revizijski zapisnik prikazuju vremena u ovoj zoni.
custom-hostname = Naziv hosta za prijavu
custom-hostname-hint = Naziv vaše domene na kojem se vaši korisnici prijavljuju s vašim logotipom i temom, npr. login.example.com. Prazno: nijedan.
custom-dns = DNS zapis koji treba stvoriti
custom-dns-hint = Stvorite ovaj zapis kod svog DNS pružatelja kako bi naziv hosta doveo do stranica za prijavu.
custom-dns-type = Vrsta
custom-dns-name = Naziv
custom-dns-value = Vrijednost
custom-logo = Logotip
custom-logo-file = Slika logotipa
custom-logo-hint = PNG ili JPEG slika od najviše 150 x 150 piksela.
custom-logo-upload = Učitaj logotip
custom-logo-remove = Ukloni logotip
custom-logo-none = Još nema logotipa.
custom-logo-alt = Logotip računa
custom-logo-size = { $width } x { $height } piksela
custom-preview = Pregled stranice za prijavu
custom-preview-at = Vaši je korisnici vide na
logo-too-large = Slika se ne može učitati: veća je od { $max } x { $max } piksela.
logo-invalid = Datoteka se ne može pročitati kao PNG ili JPEG slika.
logo-missing = Odaberite datoteku slike.
hostname-taken = Drugi se račun već prijavljuje na ovom nazivu hosta.

# The console's single sign-on
sso-console-title = Jedinstvena prijava
sso-console-intro = Uz SAML 2.0 jedinstvenu prijavu vaši se korisnici prijavljuju preko vašeg pružatelja identiteta (IdP). Samo Account Manager može definirati i mijenjati konfiguraciju.
sso-configure = Konfiguriraj jedinstvenu prijavu
sso-none = Još nema konfiguracije jedinstvene prijave.
sso-edit = Promijeni konfiguraciju
sso-shared = Ovu konfiguraciju posjeduje drugi račun i dijeli je s ovim računom; mijenjaju je njegovi upravitelji.
sso-new-title = Nova konfiguracija jedinstvene prijave
sso-edit-title = Konfiguracija jedinstvene prijave
sso-idp-heading = Pružatelj identiteta
sso-sp-heading = Pružatelj usluge
sso-idp-metadata = Datoteka metapodataka IdP-a (neobavezno)
sso-idp-metadata-help = XML metapodataka vašeg pružatelja identiteta ispunjava polja IdP-a u nastavku; polje koje upišete ima prednost pred datotekom.
sso-idp-entity-id = Identifikator IdP-a
sso-idp-entity-id-help = Entitet sustava ili izdavatelj koji stvara, održava i upravlja podacima o identitetu za subjekte.
sso-idp-certificate = Certifikat za potpis IdP-a
sso-idp-certificate-help = Certifikat pružatelja identiteta kojim se potpisuje SAML tvrdnja: jedan do četiri PEM bloka, svaki sada valjan, RSA od najmanje 2048 bita ili eliptična krivulja.
sso-idp-certificate-file = Ili učitajte datoteku certifikata (PEM ili DER)
sso-idp-sso-url = URL jedinstvene prijave IdP-a
sso-idp-sso-url-help = SAML 2.0 krajnja točka (HTTP) koja predstavlja URL za prijavu pružatelja identiteta.
sso-logout-url = URL za odjavu
sso-logout-url-help = URL vašeg pružatelja identiteta na koji se svi korisnici preusmjeravaju nakon odjave ovdje, kako bi završili sesiju kod pružatelja identiteta.
sso-sp-entity-id = ID entiteta SP-a
sso-sp-entity-id-help = URL koji jedinstveno označava ovog pružatelja usluge. Njime se pokreće SSO prijava; podijelite ga sa svim korisnicima računa.
sso-slug-help = Upišite njegov posljednji segment, npr. naziv svoje tvrtke.
sso-acs-url = URL potrošača tvrdnji SP-a
sso-acs-url-help = Kamo pružatelj identiteta šalje SAML tvrdnje; postavite ga kod svog pružatelja identiteta. Nasumično se stvara pri spremanju konfiguracije.
sso-metadata-download = Preuzmi metapodatke SP-a (XML) za svog pružatelja identiteta
sso-certificates = Pouzdani certifikati IdP-a
sso-certificate-expires = istječe { $date }
sso-certificate-soon = Istječe unutar 30 dana: dodajte novi certifikat sada.
sso-certificate-untrusted = Nije pouzdan: { $why }
sso-auto-users = Automatski stvori korisnike
sso-auto-users-help = Korisnici koji se prijave preko pružatelja identiteta, a ne pronađu se po e-pošti, stvaraju se s osnovnim podacima.
sso-auto-groups = Automatski stvori grupe
sso-auto-groups-help = Pri svakoj prijavi grupe i članstva korisnika prate pružatelja identiteta. Za to je potrebno postaviti tvrdnju o grupama kod vašeg pružatelja identiteta.
sso-name-id = Identifikator imena (NameID)
sso-name-id-help = Što pružatelj identiteta šalje kao NameID, u obliku adrese e-pošte.
sso-advanced = Napredno
sso-idp-initiated = Prihvati prijave pokrenute kod pružatelja identiteta
sso-idp-initiated-help = Nezatraženi odgovori, bez zahtjeva odavde; isključeno osim ako ga vaš pružatelj identiteta treba.
sso-sha1 = Prihvati SHA-1 potpise
sso-sha1-help = Samo za pružatelja identiteta koji ne može potpisivati sa SHA-256.
sso-delete = Izbriši konfiguraciju
sso-delete-help = Korisnici zadržavaju svoje račune i prijavljuju se kako dopuštaju mogućnosti prijave.
sso-certificate-invalid = Certifikatu se ne može vjerovati: { $why }
sso-metadata-invalid = Datoteka metapodataka ne može se pročitati: { $why }.
sso-slug-taken = Druga konfiguracija koristi ovaj ID entiteta SP-a: odaberite drugi posljednji segment.

# The console's user page: edit, email, sessions
user-edit = Podaci i uloga
user-change-email = Promijeni e-poštu
user-change-email-hint = Korisnik se od sada prijavljuje novom adresom; stara je slobodna za drugog korisnika.
user-sessions-none = Nema otvorene sesije.
user-session-opened = Otvorena
user-session-seen = Zadnji put viđena
user-session-method = Kako
user-session-end = Završi sesiju
user-session-ended = Sesija je završena.
users-team = Tim
security-option-password = Lozinka
