## Die E-Mails, SMS und Anrufe des Notifiers, auf Deutsch.

reset-subject = Passwort zurücksetzen
reset-asked = Jemand hat angefordert, das Passwort Ihres Kontos zurückzusetzen.
reset-asked-account = Jemand hat angefordert, das Passwort Ihres Kontos bei { $account } zurückzusetzen.
reset-open = Um ein neues Passwort zu wählen, öffnen Sie diesen Link innerhalb einer Stunde:
reset-once = Der Link funktioniert einmal. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.
code-subject = Ihr Bestätigungscode: { $code }
code-body = Ihr Bestätigungscode lautet { $code }.
code-note = Er ist 10 Minuten gültig. Wenn Sie sich nicht anmelden wollten, kennt jemand Ihr Passwort: Ändern Sie es.
code-sms = Ihr Bestätigungscode lautet { $code }. Er ist 10 Minuten gültig.
code-voice = Ihr Bestätigungscode lautet { $code }.
code-voice-again = Noch einmal: { $code }.
