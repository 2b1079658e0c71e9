//! The pages' catalogues (`locales/<lang>.ftl`): every string a page shows is one of their
//! messages, read through `chronid_app::i18n`. A test fails when a language lacks a message
//! English has.

pub use chronid_app::i18n::{Arg, Lang};

/// The pages' `.ftl` text of `lang`.
pub fn sources(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("../locales/en.ftl"),
        Lang::De => include_str!("../locales/de.ftl"),
        Lang::Es => include_str!("../locales/es.ftl"),
        Lang::Hr => include_str!("../locales/hr.ftl"),
    }
}

/// The pages' compiled catalogues.
pub type Catalogues = chronid_app::i18n::Catalogue;

/// Loads the pages' catalogues.
pub fn load() -> Result<Catalogues, String> {
    Catalogues::load(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_page_message_and_each_formats() {
        let ids = chronid_app::i18n::check_complete(
            sources,
            &[
                "tries", "secs", "min", "account", "code", "example", "provider", "logins",
                "failed", "from", "to", "zone", "name", "count", "why", "max", "width", "height",
                "date",
            ],
        )
        .unwrap();
        assert!(ids > 50, "the English catalogue looks cut short: {ids}");
    }

    #[test]
    fn a_plural_follows_each_language() {
        let c = load().unwrap();
        assert_eq!(
            c.text(Lang::En, "code-tries-left", &[("tries", 1u32.into())]),
            "1 try left."
        );
        assert_eq!(
            c.text(Lang::En, "code-tries-left", &[("tries", 3u32.into())]),
            "3 tries left."
        );
        assert_ne!(
            c.text(Lang::Hr, "code-tries-left", &[("tries", 2u32.into())]),
            c.text(Lang::Hr, "code-tries-left", &[("tries", 5u32.into())]),
            "Croatian has a few-form"
        );
        let summary = |lang, count: u32| {
            c.text(
                lang,
                "history-summary",
                &[
                    ("count", count.into()),
                    ("from", "a".into()),
                    ("to", "b".into()),
                ],
            )
        };
        assert_eq!(summary(Lang::En, 1), "1 event from a to b.");
        assert_eq!(summary(Lang::En, 2), "2 events from a to b.");
        assert_eq!(summary(Lang::De, 1), "1 Ereignis von a bis b.");
    }
}
