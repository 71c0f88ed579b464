//! The message catalogue: every label and message a person reads, Japanese first, English as
//! the second locale. Templates, errors, e-mails and exports look labels up here by key; nothing
//! else holds user-facing text. The catalogues are TOML files compiled into the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Ja,
    En,
}

const JA: &str = include_str!("../messages/ja.toml");
const EN: &str = include_str!("../messages/en.toml");
const CAUSE_HELP: &str = include_str!("../data/cause_help.toml");

type Catalogue = HashMap<String, &'static str>;

fn flatten(prefix: &str, value: &toml::Value, out: &mut Catalogue) {
    match value {
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            // Leaked once per process: the catalogue lives as long as the program.
            out.insert(prefix.to_owned(), Box::leak(s.clone().into_boxed_str()));
        }
        _ => {}
    }
}

fn parse(source: &str) -> Catalogue {
    let mut out = HashMap::new();
    if let Ok(value) = source.parse::<toml::Table>() {
        flatten("", &toml::Value::Table(value), &mut out);
    }
    out
}

/// The cause explanations of 表1 are kept beside the reference data, as `[code] ja/en`.
fn add_cause_help(locale: Locale, out: &mut Catalogue) {
    let Ok(table) = CAUSE_HELP.parse::<toml::Table>() else {
        return;
    };
    let lang = match locale {
        Locale::Ja => "ja",
        Locale::En => "en",
    };
    for (code, entry) in &table {
        if code == "event" {
            if let Some(events) = entry.as_table() {
                for (event, e) in events {
                    if let Some(text) = e.get(lang).and_then(|t| t.as_str()) {
                        out.insert(
                            format!("event_help.{event}"),
                            Box::leak(text.to_owned().into_boxed_str()),
                        );
                    }
                }
            }
        } else if let Some(text) = entry.get(lang).and_then(|t| t.as_str()) {
            out.insert(
                format!("cause_help.{code}"),
                Box::leak(text.to_owned().into_boxed_str()),
            );
        }
    }
}

fn catalogue(locale: Locale) -> &'static Catalogue {
    static JA_CAT: OnceLock<Catalogue> = OnceLock::new();
    static EN_CAT: OnceLock<Catalogue> = OnceLock::new();
    match locale {
        Locale::Ja => JA_CAT.get_or_init(|| {
            let mut c = parse(JA);
            add_cause_help(Locale::Ja, &mut c);
            c
        }),
        Locale::En => EN_CAT.get_or_init(|| {
            let mut c = parse(EN);
            add_cause_help(Locale::En, &mut c);
            c
        }),
    }
}

/// The label for `key`; a missing English label falls back to Japanese, a missing Japanese one
/// to the key itself (the catalogue test makes sure that never ships).
pub fn t(locale: Locale, key: &str) -> &'static str {
    if let Some(v) = catalogue(locale).get(key) {
        return v;
    }
    if locale != Locale::Ja
        && let Some(v) = catalogue(Locale::Ja).get(key)
    {
        return v;
    }
    missing(key)
}

/// A missing key is shown as itself; each distinct key is kept once, so repeated lookups of a
/// missing key do not grow memory.
fn missing(key: &str) -> &'static str {
    use std::sync::Mutex;
    static MISSING: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let map = MISSING.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = match map.lock() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    if let Some(v) = map.get(key) {
        return v;
    }
    let leaked: &'static str = Box::leak(key.to_owned().into_boxed_str());
    map.insert(key.to_owned(), leaked);
    leaked
}

/// Whether the catalogue of `locale` holds `key` (for completeness tests).
pub fn has(locale: Locale, key: &str) -> bool {
    catalogue(locale).contains_key(key)
}

/// Every key of a locale, for completeness tests.
pub fn keys(locale: Locale) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = catalogue(locale)
        .keys()
        .map(|k| &*Box::leak(k.clone().into_boxed_str()))
        .collect();
    keys.sort_unstable();
    keys
}

/// A message rendered later, in the reader's locale: a catalogue key and the values of its
/// `{name}` placeholders. Use cases return these; the edge renders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Msg {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(t(locale, self.key), &args)
    }

    /// The Japanese text.
    pub fn ja(&self) -> String {
        self.render(Locale::Ja)
    }
}

/// The Japanese text of a catalogue key with placeholders filled.
pub fn ja(key: &'static str, args: &[(&str, &str)]) -> String {
    fill(t(Locale::Ja, key), args)
}

/// Codes or names listed in a Japanese sentence (「a、b」), or the catalogue's word for none.
pub fn join_codes<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return t(Locale::Ja, "common.none_listed").to_owned();
    }
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(t(Locale::Ja, "common.list_separator"))
}

/// Fills `{name}` placeholders of a message.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::*;

    fn all_code_keys() -> Vec<String> {
        let mut keys = Vec::new();
        keys.extend(Role::ALL.iter().map(|v| v.label_key()));
        keys.extend(Tlp::ALL.iter().map(|v| v.label_key()));
        keys.extend(Tlp::ALL.iter().map(|v| format!("tlp_meaning.{}", v.code())));
        keys.extend(Severity::ALL.iter().map(|v| v.label_key()));
        keys.extend(EventClass::ALL.iter().map(|v| v.label_key()));
        keys.extend(CauseGroup::ALL.iter().map(|v| v.label_key()));
        keys.extend(Cause::ALL.iter().map(|v| v.label_key()));
        keys.extend(
            Cause::ALL
                .iter()
                .map(|v| format!("cause_help.{}", v.code())),
        );
        keys.extend(SystemStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(Outlook::ALL.iter().map(|v| v.label_key()));
        keys.extend(PressState::ALL.iter().map(|v| v.label_key()));
        keys.extend(ReportBasis::ALL.iter().map(|v| v.label_key()));
        keys.extend(AdvisoryBasis::ALL.iter().map(|v| v.label_key()));
        {
            use crate::risk::*;
            keys.extend(Damage::ALL.iter().map(|v| v.label_key()));
            keys.extend(Likelihood::ALL.iter().map(|v| v.label_key()));
            keys.extend(RiskDecision::ALL.iter().map(|v| v.label_key()));
            keys.extend(DecisionRule::ALL.iter().map(|v| v.label_key()));
            keys.extend(AssetKind::ALL.iter().map(|v| v.label_key()));
            keys.extend(Treatment::ALL.iter().map(|v| v.label_key()));
            keys.extend(IssueSource::ALL.iter().map(|v| v.label_key()));
            keys.extend(Approach::ALL.iter().map(|v| v.label_key()));
            keys.extend(ActionState::ALL.iter().map(|v| v.label_key()));
            keys.extend(ReviewReason::ALL.iter().map(|v| v.label_key()));
            keys.extend(RiskState::ALL.iter().map(|v| v.label_key()));
            keys.extend(Priority::ALL.iter().map(|v| v.label_key()));
        }
        keys
    }

    #[test]
    fn every_code_has_a_japanese_and_an_english_label() {
        for key in all_code_keys() {
            assert!(has(Locale::Ja, &key), "ja.toml lacks {key}");
            assert!(has(Locale::En, &key), "en.toml lacks {key}");
        }
    }

    #[test]
    fn english_catalogue_has_no_key_japanese_lacks() {
        for key in keys(Locale::En) {
            assert!(
                has(Locale::Ja, key),
                "en.toml has {key} but ja.toml does not"
            );
        }
    }

    #[test]
    fn labels_are_the_seeds_words() {
        assert_eq!(Cause::IdSpoofing.label(), "ユーザID等の偽り");
        assert_eq!(EventClass::NearMiss.label(), "予兆・ヒヤリハット");
        assert_eq!(Role::Ceptoar.label(), "セプター事務局");
        assert_eq!(t(Locale::En, "tlp.red"), "Red (addressees only)");
    }

    #[test]
    fn the_catalogues_parse() {
        for (name, text) in [("ja", JA), ("en", EN), ("cause_help", CAUSE_HELP)] {
            if let Err(e) = text.parse::<toml::Table>() {
                panic!("{name}: {e}");
            }
        }
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(
            fill("{field}は必須です", &[("field", "件名")]),
            "件名は必須です"
        );
    }
}
