//! The advisory form (情報提供様式, 図7/図8), its validation, T-numbers, the scope ceiling an
//! advisory derived from reports may not exceed without the sources' consent, and the
//! source-protection lint.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::codes::{AdvisoryBasis, Severity, Tlp};
use crate::messages::{Msg, join_codes};
use crate::reference::ReferenceData;

pub mod record;
use crate::report::FieldError;

/// 情報提供先: a ministry and the sectors it receives the advisory for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub ministry: String,
    #[serde(default)]
    pub sectors: Vec<String>,
}

/// NISC's contact on the advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NiscContact {
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub fax: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdvisoryForm {
    #[serde(rename = "_comment", default, skip_serializing)]
    pub comment: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub edition: u32,
    /// `T1`, `T1-2`; assigned at publication.
    #[serde(default)]
    pub number: Option<String>,
    /// 情報提供日時.
    pub provided_at: DateTime<FixedOffset>,
    pub recipients: Vec<Recipient>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub tlp: Tlp,
    #[serde(default)]
    pub tlp_note: String,
    pub has_attachment: bool,
    /// ① 概要.
    #[serde(default)]
    pub overview: String,
    /// ② 対象.
    #[serde(default)]
    pub target: String,
    /// ③ 対処方針.
    #[serde(default)]
    pub countermeasures: String,
    /// ④ その他.
    #[serde(default)]
    pub other: String,
    #[serde(default)]
    pub contact: NiscContact,
    /// 3.1 ①–③.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<AdvisoryBasis>,
    /// An exercise (訓練): labelled 【訓練】 everywhere, excluded from statistics.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exercise: bool,
    /// The event classes the advisory is about (besides those of its source reports): what
    /// operators' risk registers are matched against when it arrives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::EventClass>,
    /// The causes (表1) the advisory is about, for the same matching.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<crate::Cause>,
}

/// The Japanese name of a form field (catalogue `advisory_field.*`); empty without one.
pub fn field_label(path: &str) -> &'static str {
    let key = format!("advisory_field.{path}");
    if crate::messages::has(crate::messages::Locale::Ja, &key) {
        crate::messages::t(crate::messages::Locale::Ja, &key)
    } else {
        ""
    }
}

/// `T<n>` or `T<n>-<k>`.
pub fn parse_number(s: &str) -> Option<(u64, Option<u32>)> {
    let rest = s.strip_prefix('T')?;
    let (n, k) = match rest.split_once('-') {
        Some((n, k)) => (n, Some(k.parse::<u32>().ok().filter(|k| *k >= 2)?)),
        None => (rest, None),
    };
    if n.starts_with('0') {
        return None;
    }
    Some((n.parse::<u64>().ok().filter(|n| *n >= 1)?, k))
}

pub fn edition_number(n: Option<i64>, edition: u32) -> Option<String> {
    let n = n?;
    Some(if edition <= 1 {
        format!("T{n}")
    } else {
        format!("T{n}-{edition}")
    })
}

impl AdvisoryForm {
    pub fn validate(&self, reference: &ReferenceData) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = |f: &str, m: Msg| FieldError {
            field: f.to_owned(),
            message: m.ja(),
        };
        if self.edition == 0 {
            errors.push(e("edition", Msg::new("invalid.edition_min")));
        }
        if let Some(n) = &self.number
            && !n.is_empty()
            && parse_number(n).is_none()
        {
            errors.push(e(
                "number",
                Msg::new("invalid.advisory_number").arg("number", n),
            ));
        }
        if self.recipients.is_empty() {
            errors.push(e("recipients", Msg::new("invalid.recipients_required")));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if reference.ministry(&r.ministry).is_none() {
                errors.push(e(
                    &format!("recipients[{i}].ministry"),
                    Msg::new("invalid.unknown_ministry").arg("code", &r.ministry),
                ));
                continue;
            }
            let jurisdiction = reference.jurisdiction(&r.ministry);
            for (j, s) in r.sectors.iter().enumerate() {
                if !reference.is_sector(s) {
                    errors.push(e(
                        &format!("recipients[{i}].sectors[{j}]"),
                        Msg::new("invalid.unknown_sector").arg("code", s),
                    ));
                } else if !jurisdiction.contains(s) {
                    errors.push(e(
                        &format!("recipients[{i}].sectors[{j}]"),
                        Msg::new("invalid.not_in_jurisdiction")
                            .arg("sector", reference.sector_name(s))
                            .arg("ministry", &r.ministry),
                    ));
                }
            }
        }
        for (field, text) in [
            ("overview", &self.overview),
            ("target", &self.target),
            ("countermeasures", &self.countermeasures),
            ("other", &self.other),
            ("tlp_note", &self.tlp_note),
        ] {
            if text.chars().count() > 20_000 {
                errors.push(e(field, Msg::new("invalid.too_long").arg("max", 20_000)));
            }
        }
        if !self.contact.email.trim().is_empty()
            && crate::Email::parse(&self.contact.email).is_err()
        {
            errors.push(e("contact.email", Msg::new("invalid.email")));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every recipient sector.
    pub fn sectors(&self) -> BTreeSet<String> {
        self.recipients
            .iter()
            .flat_map(|r| r.sectors.iter().cloned())
            .collect()
    }

    pub fn ministries(&self) -> BTreeSet<String> {
        self.recipients.iter().map(|r| r.ministry.clone()).collect()
    }

    /// The free texts a person reads, for the source-protection lint.
    pub fn texts(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("overview", self.overview.as_str()),
            ("target", self.target.as_str()),
            ("countermeasures", self.countermeasures.as_str()),
            ("other", self.other.as_str()),
            ("tlp_note", self.tlp_note.as_str()),
        ]
    }
}

/// What one source report allows an advisory derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceScope {
    pub report_id: crate::ids::ReportId,
    /// The report's number, for messages.
    pub number: String,
    pub tlp: Tlp,
    /// The report's sector: the "directly related sector" of a Red/Amber report.
    pub sector: String,
    /// A scope beyond this one the source has accepted for this advisory, if any.
    pub accepted: Option<(Tlp, BTreeSet<String>)>,
}

/// Why a source limits an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limit {
    pub report_id: crate::ids::ReportId,
    pub number: String,
    pub reason: String,
}

/// The widest scope the sources allow: the narrowest source TLP, and for Red/Amber sources the
/// sectors they are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ceiling {
    pub tlp: Tlp,
    /// `None`: any sector.
    pub sectors: Option<BTreeSet<String>>,
    pub why: Vec<String>,
}

fn allowed(s: &SourceScope) -> (Tlp, Option<BTreeSet<String>>) {
    let own_sectors = (s.tlp <= Tlp::Amber).then(|| [s.sector.clone()].into());
    match &s.accepted {
        Some((tlp, sectors)) => {
            let tlp = (*tlp).max(s.tlp);
            let sectors = if tlp >= Tlp::Green {
                None
            } else {
                own_sectors.map(|o: BTreeSet<String>| o.union(sectors).cloned().collect())
            };
            (tlp, sectors)
        }
        None => (s.tlp, own_sectors),
    }
}

pub fn ceiling(sources: &[SourceScope]) -> Ceiling {
    let mut tlp = Tlp::White;
    let mut sectors: Option<BTreeSet<String>> = None;
    let mut why = Vec::new();
    for s in sources {
        let (t, secs) = allowed(s);
        if t < tlp {
            tlp = t;
        }
        why.push(match &secs {
            Some(secs) => Msg::new("advisory.ceiling_why_sectors")
                .arg("number", &s.number)
                .arg("tlp", t.label())
                .arg("sectors", join_codes(&secs.iter().collect::<Vec<_>>()))
                .ja(),
            None => Msg::new("advisory.ceiling_why")
                .arg("number", &s.number)
                .arg("tlp", t.label())
                .ja(),
        });
        if let Some(secs) = secs {
            sectors = Some(match sectors {
                Some(prev) => prev.intersection(&secs).cloned().collect(),
                None => secs,
            });
        }
    }
    Ceiling { tlp, sectors, why }
}

/// The sources an advisory of `tlp` to `sectors` would exceed, with the reason for each.
pub fn exceeded(sources: &[SourceScope], tlp: Tlp, sectors: &BTreeSet<String>) -> Vec<Limit> {
    sources
        .iter()
        .filter_map(|s| {
            let (t, secs) = allowed(s);
            let mut reasons = Vec::new();
            if tlp > t {
                reasons.push(
                    Msg::new("advisory.limit_tlp")
                        .arg("tlp", tlp.label())
                        .arg("allowed", t.label())
                        .ja(),
                );
            }
            if let Some(secs) = secs {
                let outside: Vec<String> = sectors.difference(&secs).cloned().collect();
                if !outside.is_empty() {
                    reasons.push(
                        Msg::new("advisory.limit_sectors")
                            .arg("sectors", join_codes(&outside))
                            .ja(),
                    );
                }
            }
            (!reasons.is_empty()).then(|| Limit {
                report_id: s.report_id,
                number: s.number.clone(),
                reason: reasons.join(crate::messages::t(
                    crate::messages::Locale::Ja,
                    "common.reason_separator",
                )),
            })
        })
        .collect()
}

/// One place where an advisory's text names a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LintHit {
    pub field: String,
    pub needle: String,
    /// The text around the hit.
    pub context: String,
}

/// Strings that identify a source, taken from its editions' contact and operator fields:
/// organisation names and codes, person names, e-mail addresses and their domains, phone
/// numbers, URLs and host names.
pub fn identifying_strings(values: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for v in values {
        let v = v.trim();
        if v.chars().count() < 3 {
            continue;
        }
        out.insert(v.to_owned());
        if let Some((_, domain)) = v.split_once('@') {
            out.insert(domain.to_owned());
        }
        for word in v.split_whitespace() {
            if let Some(rest) = word
                .strip_prefix("https://")
                .or_else(|| word.strip_prefix("http://"))
                && let Some(host) = rest
                    .split(['/', '?', '#'])
                    .next()
                    .filter(|h| h.contains('.'))
            {
                out.insert(host.to_owned());
            }
        }
    }
    out
}

/// Every occurrence of an identifying string in the advisory's texts (case-insensitive).
pub fn lint(texts: &[(&str, &str)], needles: &BTreeSet<String>) -> Vec<LintHit> {
    let mut hits = Vec::new();
    for (field, text) in texts {
        let lower = text.to_lowercase();
        for n in needles {
            let ln = n.to_lowercase();
            if ln.is_empty() {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = lower[from..].find(&ln) {
                let at = from + pos;
                let chars: Vec<char> = text.chars().collect();
                let char_at = lower[..at].chars().count();
                let start = char_at.saturating_sub(15);
                let end = (char_at + n.chars().count() + 15).min(chars.len());
                hits.push(LintHit {
                    field: (*field).to_owned(),
                    needle: n.clone(),
                    context: chars[start..end].iter().collect(),
                });
                from = at + ln.len().max(1);
            }
        }
    }
    hits
}

/// Recipient ministries → sectors, merged (for display).
pub fn by_ministry(recipients: &[Recipient]) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in recipients {
        m.entry(r.ministry.clone())
            .or_default()
            .extend(r.sectors.iter().cloned());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../../fixtures/advisory-fig8.json");

    fn src(id: i64, tlp: Tlp, sector: &str) -> SourceScope {
        SourceScope {
            report_id: crate::ids::ReportId(id),
            number: format!("R{id}"),
            tlp,
            sector: sector.into(),
            accepted: None,
        }
    }

    #[test]
    fn the_seed_example_is_accepted_and_round_trips() {
        let reference = ReferenceData::bundled().unwrap_or_else(|e| panic!("{e}"));
        let form: AdvisoryForm = serde_json::from_str(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(form.validate(&reference), Ok(()));
        let mut original: serde_json::Value = serde_json::from_str(FIXTURE).unwrap_or_default();
        if let Some(o) = original.as_object_mut() {
            o.remove("_comment");
        }
        assert_eq!(serde_json::to_value(&form).unwrap_or_default(), original);
    }

    #[test]
    fn the_ceiling_is_the_narrowest_source() {
        let c = ceiling(&[src(1, Tlp::Amber, "electricity"), src(2, Tlp::Green, "gas")]);
        assert_eq!(c.tlp, Tlp::Amber);
        assert_eq!(c.sectors, Some(["electricity".to_owned()].into()));
        let limits = exceeded(
            &[src(1, Tlp::Amber, "electricity")],
            Tlp::Green,
            &["electricity".to_owned()].into(),
        );
        assert_eq!(limits.len(), 1);
        assert!(limits[0].reason.contains("TLP"));
        let limits = exceeded(
            &[src(1, Tlp::Amber, "electricity")],
            Tlp::Amber,
            &["gas".to_owned()].into(),
        );
        assert!(limits[0].reason.contains("gas"));
        assert!(
            exceeded(
                &[src(1, Tlp::Amber, "electricity")],
                Tlp::Red,
                &["electricity".to_owned()].into()
            )
            .is_empty()
        );
    }

    #[test]
    fn an_accepted_request_lifts_the_ceiling() {
        let mut s = src(1, Tlp::Amber, "electricity");
        s.accepted = Some((Tlp::Green, BTreeSet::new()));
        assert!(
            exceeded(
                &[s.clone()],
                Tlp::Green,
                &["electricity".to_owned(), "gas".to_owned()].into()
            )
            .is_empty()
        );
        assert!(!exceeded(&[s], Tlp::White, &BTreeSet::new()).is_empty());
    }

    #[test]
    fn the_lint_finds_names_addresses_and_domains_in_context() {
        let needles = identifying_strings(&[
            "電力デモ事業者1".into(),
            "taro@op-denryoku.example".into(),
            "https://www.op-denryoku.example/top".into(),
        ]);
        assert!(needles.contains("op-denryoku.example"));
        assert!(needles.contains("www.op-denryoku.example"));
        let hits = lint(
            &[(
                "overview",
                "電力デモ事業者1のサーバで検知。詳細は OP-DENRYOKU.example まで。",
            )],
            &needles,
        );
        let found: Vec<&str> = hits.iter().map(|h| h.needle.as_str()).collect();
        assert!(found.contains(&"電力デモ事業者1"), "{hits:?}");
        assert!(found.contains(&"op-denryoku.example"), "{hits:?}");
        assert!(hits[0].context.contains("サーバ"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("T3-2"), Some((3, Some(2))));
        assert_eq!(parse_number("R3"), None);
        assert_eq!(edition_number(Some(1), 1).as_deref(), Some("T1"));
    }
}
