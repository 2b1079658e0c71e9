//! What the notifier sends, in the user's language: every sentence of the reset email, the code
//! email, the text and the call comes from the catalogues in `locales/<lang>.ftl`.

use chronid_app::i18n::{check_complete, Catalogue, Lang};

fn sources(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("../locales/en.ftl"),
        Lang::De => include_str!("../locales/de.ftl"),
        Lang::Es => include_str!("../locales/es.ftl"),
        Lang::Hr => include_str!("../locales/hr.ftl"),
    }
}

/// The notifier's messages in every language.
#[derive(Clone, Debug)]
pub struct Messages {
    catalogue: Catalogue,
}

impl Messages {
    pub fn load() -> Result<Self, String> {
        Ok(Self {
            catalogue: Catalogue::load(sources)?,
        })
    }

    fn t(&self, lang: Lang, id: &str) -> String {
        self.catalogue.text(lang, id, &[])
    }

    fn with(&self, lang: Lang, id: &str, name: &str, value: &str) -> String {
        self.catalogue.text(lang, id, &[(name, value.into())])
    }

    /// The reset email: subject and body. The link carries the token; it is valid one hour and
    /// once.
    pub fn reset_email(
        &self,
        lang: Lang,
        public_url: &str,
        account: &str,
        token: &str,
    ) -> (String, String) {
        let link = format!(
            "{}/reset-password?token={token}",
            public_url.trim_end_matches('/')
        );
        let asked = match account.is_empty() {
            true => self.t(lang, "reset-asked"),
            false => self.with(lang, "reset-asked-account", "account", account),
        };
        let body = format!(
            "{asked}\n\n{}\n\n{link}\n\n{}\n",
            self.t(lang, "reset-open"),
            self.t(lang, "reset-once")
        );
        (self.t(lang, "reset-subject"), body)
    }

    /// The code email: subject and body.
    pub fn code_email(&self, lang: Lang, code: &str) -> (String, String) {
        (
            self.with(lang, "code-subject", "code", code),
            format!(
                "{}\n\n{}\n",
                self.with(lang, "code-body", "code", code),
                self.t(lang, "code-note")
            ),
        )
    }

    /// The code as a text message.
    pub fn code_sms(&self, lang: Lang, code: &str) -> String {
        self.with(lang, "code-sms", "code", code)
    }

    /// The code read out twice, digit by digit, in the user's language (TwiML).
    pub fn code_twiml(&self, lang: Lang, code: &str) -> String {
        let digits: Vec<String> = code
            .chars()
            .filter(char::is_ascii_digit)
            .map(|c| c.to_string())
            .collect();
        let spoken = digits.join(", ");
        let voice = match lang {
            Lang::En => "en-US",
            Lang::De => "de-DE",
            Lang::Es => "es-ES",
            Lang::Hr => "hr-HR",
        };
        format!(
            "<Response><Say language=\"{voice}\">{}</Say><Pause length=\"1\"/>\
             <Say language=\"{voice}\">{}</Say></Response>",
            self.with(lang, "code-voice", "code", &spoken),
            self.with(lang, "code-voice-again", "code", &spoken)
        )
    }
}

/// Checks the catalogues: every language has every message, and each formats.
pub fn check() -> Result<usize, String> {
    check_complete(sources, &["code", "account"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_of_the_notifier() {
        assert!(check().unwrap() >= 11);
    }

    #[test]
    fn each_message_is_in_the_language_asked() {
        let m = Messages::load().unwrap();
        let (subject, body) = m.reset_email(Lang::De, "https://id.acme.test/", "Acme", "chr_x");
        assert_eq!(subject, "Passwort zurücksetzen");
        assert!(body.contains("bei Acme"), "{body}");
        assert!(
            body.contains("https://id.acme.test/reset-password?token=chr_x\n"),
            "{body}"
        );
        let (subject, body) = m.code_email(Lang::Hr, "123456");
        assert_eq!(subject, "Vaš kontrolni kod: 123456");
        assert!(body.contains("123456"));
        assert!(m
            .code_sms(Lang::Es, "654321")
            .starts_with("Tu código de verificación es 654321."));
        let twiml = m.code_twiml(Lang::En, "123456");
        assert_eq!(twiml.matches("1, 2, 3, 4, 5, 6").count(), 2, "{twiml}");
        assert!(twiml.contains("language=\"en-US\""), "{twiml}");
        // No markup from a code reaches the TwiML.
        assert!(!m.code_twiml(Lang::En, "<x>12").contains("<x>"));
    }
}
