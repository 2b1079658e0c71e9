## E-poruke, SMS-ovi i pozivi obavještavača, na hrvatskom.

reset-subject = Ponovno postavljanje lozinke
reset-asked = Netko je zatražio ponovno postavljanje lozinke Vašeg računa.
reset-asked-account = Netko je zatražio ponovno postavljanje lozinke Vašeg računa u { $account }.
reset-open = Da biste odabrali novu lozinku, otvorite ovu poveznicu u roku od jednog sata:
reset-once = Poveznica vrijedi jednom. Ako to niste zatražili Vi, zanemarite ovu poruku: Vaša lozinka ostaje ista.
code-subject = Vaš kontrolni kod: { $code }
code-body = Vaš kontrolni kod je { $code }.
code-note = Vrijedi 10 minuta. Ako se niste pokušali prijaviti, netko zna Vašu lozinku: promijenite je.
code-sms = Vaš kontrolni kod je { $code }. Vrijedi 10 minuta.
code-voice = Vaš kontrolni kod je { $code }.
code-voice-again = Još jednom: { $code }.
