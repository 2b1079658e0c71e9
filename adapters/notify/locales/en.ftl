## The emails, texts and calls the notifier sends, in English. Every other catalogue has the same ids.

reset-subject = Reset your password
reset-asked = Someone asked to reset the password of your account.
reset-asked-account = Someone asked to reset the password of your account in { $account }.
reset-open = To choose a new password, open this link within one hour:
reset-once = The link works once. If you did not ask for this, ignore this email: your password stays as it is.
code-subject = Your verification code: { $code }
code-body = Your verification code is { $code }.
code-note = It is valid for 10 minutes. If you did not try to log in, someone knows your password: change it.
code-sms = Your verification code is { $code }. It is valid for 10 minutes.
code-voice = Your verification code is { $code }.
code-voice-again = Again: { $code }.
