//! The product's languages and its Project Fluent catalogues: the pages (`chronid-web`) and the
//! messages the notifier sends (`chronid-notify`) each keep theirs (`locales/<lang>.ftl`,
//! compiled into the binary) and read them through [`Catalogue`]. English is complete by
//! definition; each room has a test that fails when another language lacks one of English's
//! message ids or has one English does not ([`Catalogue::ids`]).

use std::collections::HashMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    De,
    Es,
    Hr,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::De, Lang::Es, Lang::Hr];

    /// The language tag, as the `lang` attribute and the user's language carry it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::Hr => "hr",
        }
    }

    /// The language's name in itself, for the selector.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Es => "Español",
            Lang::Hr => "Hrvatski",
        }
    }

    /// The page language for a tag such as `de`, `de-AT` or `hr_HR`, if there is one.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The first language of an `Accept-Language` header the pages are written in, by the
    /// header's weights.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut offered: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::from_tag(pieces.next()?)?;
                let weight = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, lang))
            })
            .collect();
        // Stable: of equal weights, the first listed wins.
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map(|(_, l)| *l)
    }

    /// The page language of a user or account language such as `de-AT`, else English.
    pub fn of(language: Option<&str>) -> Lang {
        language.and_then(Lang::from_tag).unwrap_or(Lang::En)
    }
}

/// Where a room's catalogues are: the `.ftl` text of each language.
pub type Sources = fn(Lang) -> &'static str;

/// A room's compiled catalogues, one per language.
#[derive(Clone)]
pub struct Catalogue {
    bundles: Arc<HashMap<Lang, FluentBundle<FluentResource>>>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalogue")
    }
}

impl Catalogue {
    /// Parses every language's catalogue from `sources`; an error names the language and the
    /// first problem (a build with a broken catalogue fails its tests, so this does not happen
    /// in a released binary).
    pub fn load(sources: Sources) -> Result<Self, String> {
        let mut bundles = HashMap::new();
        for lang in Lang::ALL {
            let resource = FluentResource::try_new(sources(lang).to_string())
                .map_err(|(_, errors)| format!("locales/{}.ftl: {errors:?}", lang.tag()))?;
            let id: LanguageIdentifier = lang
                .tag()
                .parse()
                .map_err(|e| format!("language {}: {e}", lang.tag()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Pages are HTML-escaped by their templates; Unicode isolation marks around
            // arguments would only show up in plain-text emails, texts and copied text.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| format!("locales/{}.ftl: {errors:?}", lang.tag()))?;
            bundles.insert(lang, bundle);
        }
        Ok(Self {
            bundles: Arc::new(bundles),
        })
    }

    /// The message `id` in `lang` with `args`; English when the language lacks it (never in a
    /// tested build), and the id itself when no catalogue has it.
    pub fn text(&self, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        for lang in [lang, Lang::En] {
            let Some(bundle) = self.bundles.get(&lang) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut fluent_args = FluentArgs::new();
            for (name, value) in args {
                let value = match value {
                    Arg::Text(s) => FluentValue::from(s.clone()),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                fluent_args.set(*name, value);
            }
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    id,
                    lang = lang.tag(),
                    ?errors,
                    "a page message did not format"
                );
            }
            return text.into_owned();
        }
        tracing::warn!(id, "a message id is in no catalogue");
        id.to_string()
    }

    /// The message ids of `lang`'s catalogue in `sources`.
    pub fn ids(sources: Sources, lang: Lang) -> Result<Vec<String>, String> {
        let resource = FluentResource::try_new(sources(lang).to_string())
            .map_err(|(_, errors)| format!("locales/{}.ftl: {errors:?}", lang.tag()))?;
        Ok(resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect())
    }
}

/// An argument of a message.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Self {
        Arg::Number(i64::from(n))
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Checks that every language of `sources` has exactly English's message ids, once each, and
/// that every message formats without error with `args` given a number; the tests of each room
/// call it.
pub fn check_complete(sources: Sources, args: &[&str]) -> Result<usize, String> {
    use std::collections::BTreeSet;
    let english: BTreeSet<String> = Catalogue::ids(sources, Lang::En)?.into_iter().collect();
    let catalogue = Catalogue::load(sources)?;
    for lang in Lang::ALL {
        let ids = Catalogue::ids(sources, lang)?;
        let set: BTreeSet<String> = ids.iter().cloned().collect();
        if set.len() != ids.len() {
            return Err(format!("{} defines an id twice", lang.tag()));
        }
        let missing: Vec<_> = english.difference(&set).collect();
        let extra: Vec<_> = set.difference(&english).collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "{} lacks {missing:?} and has ids English lacks: {extra:?}",
                lang.tag()
            ));
        }
        let bundle = &catalogue.bundles[&lang];
        for id in &ids {
            let pattern = bundle
                .get_message(id)
                .and_then(|m| m.value())
                .ok_or_else(|| format!("{} {id} has no value", lang.tag()))?;
            let mut fluent_args = FluentArgs::new();
            for name in args {
                fluent_args.set(*name, FluentValue::from(2));
            }
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                return Err(format!("{} {id}: {errors:?}", lang.tag()));
            }
            if text.trim().is_empty() {
                return Err(format!("{} {id} is empty", lang.tag()));
            }
        }
    }
    Ok(english.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_and_the_browser_pick_languages() {
        assert_eq!(Lang::from_tag("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_tag("hr_HR"), Some(Lang::Hr));
        assert_eq!(Lang::from_tag("fr"), None);
        assert_eq!(Lang::of(Some("es-MX")), Lang::Es);
        assert_eq!(Lang::of(None), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR, es;q=0.8, de;q=0.9"),
            Some(Lang::De)
        );
        assert_eq!(Lang::from_accept_language("fr, it"), None);
        assert_eq!(
            Lang::from_accept_language("hr;q=0, es;q=0.1"),
            Some(Lang::Es)
        );
    }
}
