//! The incident-report form (情報連絡様式, 図4/図5) and what may be done with it: validation
//! that requires only the starred fields (speed first, ※4), anonymisation at a CEPTOAR, the
//! R-number of an edition, and the diff of one edition against the previous.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::OrgCode;
use crate::codes::{
    Cause, EventClass, Outlook, PressState, ReportBasis, Severity, SystemStatus, Tlp,
};
use crate::messages::Msg;
use crate::reference::ReferenceData;

mod sml;
pub mod thread;

pub use sml::{ImpactFigures, MAX_FIGURE, SmlCheck, check_impact, rule_text, thousands};

/// The reporting contact (情報連絡元). Organisation and person are required, with a phone
/// number or an e-mail address; department and FAX may be blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")
    )]
    pub organization: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")
    )]
    pub person: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub fax: String,
    /// Blank, or an address (`Email::parse`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 254,
            pattern = "^([^\\s@\\x00-\\x1f\\x7f-\\x9f]+@[^\\s@\\x00-\\x1f\\x7f-\\x9f.][^\\s@\\x00-\\x1f\\x7f-\\x9f]*\\.[^\\s@\\x00-\\x1f\\x7f-\\x9f]*[^\\s@\\x00-\\x1f\\x7f-\\x9f.])?$"
        )
    )]
    pub email: String,
}

/// ⑤ 事象の概要.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Summary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<FixedOffset>>,
    /// How the occurrence time was estimated (推定の根拠).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovered_at: Option<DateTime<FixedOffset>>,
    /// Affected system / outsourced vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// ⑥ 重要インフラサービス等への影響.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Impact {
    /// サービス維持レベルの逸脱 有/無.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sml_deviation: Option<bool>,
    /// The affected service (表3): a service code of the report's sector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The figures the service's maintenance level is judged by, as far as known.
    #[serde(default, skip_serializing_if = "ImpactFigures::is_empty")]
    pub figures: ImpactFigures,
    /// Why ⑥ is answered against kyoyu's suggestion (required when it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sml_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_status: Option<SystemStatus>,
    /// 他の事業者等への波及の可能性 有/無.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spillover_possible: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// ⑦ 推移: one row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    pub at: DateTime<FixedOffset>,
    pub text: String,
}

/// 外部への対応: press release and parties contacted other than NISC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct External {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub press: Option<PressState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub press_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_contacts: Option<String>,
}

/// The whole form. Field names are the public contract (API.md); codes are DOMAIN.md's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    /// A comment the seed's fixtures carry; accepted and dropped.
    #[serde(rename = "_comment", default, skip_serializing)]
    pub comment: Option<String>,
    /// 第N報. Assigned by the service: the client's value is checked, then replaced.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub edition: u32,
    /// 識別番号 (`R1`, `R1-2`); blank until NISC numbers the report. Assigned by the service.
    #[serde(default)]
    pub number: Option<String>,
    /// 情報連絡日時.
    pub reported_at: DateTime<FixedOffset>,
    /// 情報連絡元.
    pub contact: Contact,
    /// 重要度 (表4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// 情報共有範囲.
    pub tlp: Tlp,
    /// 特記事項: sharing conditions TLP does not express.
    #[serde(default)]
    pub tlp_note: String,
    /// Organisations added by name beyond the TLP audience (表5 ※1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tlp_additions: Vec<OrgCode>,
    /// ① 事象分類: exactly one, the first detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventClass>,
    /// ② 原因: any number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    /// 別紙有無.
    pub has_attachment: bool,
    /// ③ 分野名 (a sector code of the reference data).
    pub sector: String,
    /// ④ 事象が発生した重要インフラ事業者等の名前 (withheld when anonymised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
    /// ⑧ 今後の見通し.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlook: Option<Outlook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<External>,
    /// ⑨ その他、得られた教訓.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lessons: Option<String>,
    /// Why it is reported (2.1 ①–③).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<ReportBasis>,
    /// An exercise (訓練, seed 004 図表9): labelled 【訓練】 everywhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exercise: bool,
}

/// A validation failure: the API field path and a Japanese message naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The Japanese name of a form field, for messages and labels (catalogue `report_field.*`);
/// empty for a path without one.
pub fn field_label(path: &str) -> &'static str {
    let key = format!("report_field.{path}");
    if crate::messages::has(crate::messages::Locale::Ja, &key) {
        crate::messages::t(crate::messages::Locale::Ja, &key)
    } else {
        ""
    }
}

const MAX_TEXT: usize = 20_000;

fn err(field: &str, message: Msg) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.ja(),
    }
}

fn required(field: &str) -> FieldError {
    err(
        field,
        Msg::new("invalid.required").arg("field", field_label(field)),
    )
}

/// `R<n>` or `R<n>-<k>`.
pub fn parse_number(s: &str) -> Option<(u64, Option<u32>)> {
    let rest = s.strip_prefix('R')?;
    let (n, k) = match rest.split_once('-') {
        Some((n, k)) => (n, Some(k.parse::<u32>().ok().filter(|k| *k >= 2)?)),
        None => (rest, None),
    };
    let n = n.parse::<u64>().ok().filter(|n| *n >= 1)?;
    if n.to_string().len() != rest.split('-').next()?.len() {
        return None;
    }
    Some((n, k))
}

/// The identification number of an edition: `R<n>` for the first, `R<n>-<k>` after.
pub fn edition_number(thread_number: Option<i64>, edition: u32) -> Option<String> {
    let n = thread_number?;
    Some(if edition <= 1 {
        format!("R{n}")
    } else {
        format!("R{n}-{edition}")
    })
}

impl ReportForm {
    /// Checks the starred fields and the shape of everything given; collects every problem.
    pub fn validate(&self, reference: &ReferenceData) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.edition == 0 {
            errors.push(err("edition", Msg::new("invalid.edition_min")));
        }
        if let Some(n) = &self.number
            && !n.is_empty()
            && parse_number(n).is_none()
        {
            errors.push(err(
                "number",
                Msg::new("invalid.report_number").arg("number", n),
            ));
        }
        if self.contact.organization.trim().is_empty() {
            errors.push(required("contact.organization"));
        }
        if self.contact.person.trim().is_empty() {
            errors.push(required("contact.person"));
        }
        if self.contact.phone.trim().is_empty() && self.contact.email.trim().is_empty() {
            errors.push(err("contact.phone", Msg::new("invalid.phone_or_email")));
        }
        if !self.contact.email.trim().is_empty()
            && crate::Email::parse(&self.contact.email).is_err()
        {
            errors.push(err("contact.email", Msg::new("invalid.email")));
        }
        if self.sector.trim().is_empty() {
            errors.push(required("sector"));
        } else if !reference.is_sector(&self.sector) {
            errors.push(err(
                "sector",
                Msg::new("invalid.unknown_sector").arg("code", &self.sector),
            ));
        }
        let mut seen = Vec::new();
        for (i, c) in self.causes.iter().enumerate() {
            if seen.contains(c) {
                errors.push(err(
                    &format!("causes[{i}]"),
                    Msg::new("invalid.duplicate_cause").arg("cause", c.label()),
                ));
            }
            seen.push(*c);
        }
        self.validate_sml(reference, &mut errors);
        for (i, row) in self.timeline.iter().enumerate() {
            if row.text.trim().is_empty() {
                errors.push(err(
                    &format!("timeline[{i}].text"),
                    Msg::new("invalid.timeline_text"),
                ));
            }
        }
        for (field, text) in self.texts() {
            if text.chars().count() > MAX_TEXT {
                errors.push(err(
                    &field,
                    Msg::new("invalid.too_long").arg("max", MAX_TEXT),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every free-text field with its path: for limits, anonymisation and search.
    pub fn texts(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = vec![
            (
                "contact.organization".into(),
                self.contact.organization.as_str(),
            ),
            (
                "contact.department".into(),
                self.contact.department.as_str(),
            ),
            ("contact.person".into(), self.contact.person.as_str()),
            ("contact.phone".into(), self.contact.phone.as_str()),
            ("contact.fax".into(), self.contact.fax.as_str()),
            ("contact.email".into(), self.contact.email.as_str()),
            ("tlp_note".into(), self.tlp_note.as_str()),
        ];
        let mut opts: Vec<(&str, &Option<String>)> = vec![("operator_name", &self.operator_name)];
        if let Some(s) = &self.summary {
            opts.push(("summary.occurred_at_note", &s.occurred_at_note));
            opts.push(("summary.affected_system", &s.affected_system));
            opts.push(("summary.description", &s.description));
        }
        if let Some(i) = &self.impact {
            opts.push(("impact.sml_reason", &i.sml_reason));
            opts.push(("impact.note", &i.note));
        }
        if let Some(e) = &self.external {
            opts.push(("external.press_note", &e.press_note));
            opts.push(("external.other_contacts", &e.other_contacts));
        }
        opts.push(("lessons", &self.lessons));
        for (name, v) in opts {
            if let Some(v) = v {
                out.push((name.to_owned(), v.as_str()));
            }
        }
        for (i, row) in self.timeline.iter().enumerate() {
            out.push((format!("timeline[{i}].text"), row.text.as_str()));
        }
        out
    }

    /// Applies `f` to every free-text field.
    fn map_texts(&mut self, f: &dyn Fn(&str) -> String) {
        let c = &mut self.contact;
        for s in [
            &mut c.organization,
            &mut c.department,
            &mut c.person,
            &mut c.phone,
            &mut c.fax,
            &mut c.email,
        ] {
            *s = f(s);
        }
        self.tlp_note = f(&self.tlp_note);
        let opt = |v: &mut Option<String>| {
            if let Some(s) = v {
                *s = f(s);
            }
        };
        opt(&mut self.operator_name);
        if let Some(s) = &mut self.summary {
            opt(&mut s.occurred_at_note);
            opt(&mut s.affected_system);
            opt(&mut s.description);
        }
        if let Some(i) = &mut self.impact {
            opt(&mut i.sml_reason);
            opt(&mut i.note);
        }
        if let Some(e) = &mut self.external {
            opt(&mut e.press_note);
            opt(&mut e.other_contacts);
        }
        opt(&mut self.lessons);
        for row in &mut self.timeline {
            row.text = f(&row.text);
        }
    }

    /// The form as it leaves a CEPTOAR that anonymises it: the operator's name is withheld,
    /// the CEPTOAR appears as the reporting contact, and every occurrence of the identifying
    /// strings (operator and organisation names, the reporter's name, e-mail and phone) in the
    /// free text is replaced by a neutral marker. The CEPTOAR may still edit the result.
    pub fn anonymized(&self, identifying: &[String], ceptoar_contact: Contact) -> ReportForm {
        let mut form = self.clone();
        let mut needles: Vec<String> = identifying
            .iter()
            .filter(|s| s.trim().chars().count() >= 2)
            .cloned()
            .collect();
        for s in [
            &self.contact.organization,
            &self.contact.person,
            &self.contact.email,
            &self.contact.phone,
            &self.contact.fax,
        ] {
            if s.trim().chars().count() >= 2 {
                needles.push(s.trim().to_owned());
            }
        }
        if let Some(op) = &self.operator_name
            && op.trim().chars().count() >= 2
        {
            needles.push(op.trim().to_owned());
        }
        // Longest first, so that a name is not half-replaced through a shorter one.
        needles.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        needles.dedup();
        form.map_texts(&|text: &str| {
            let mut out = text.to_owned();
            for n in &needles {
                out = out.replace(n.as_str(), anonymized_marker());
            }
            out
        });
        form.operator_name = None;
        form.contact = ceptoar_contact;
        form
    }

    /// The first line of the description, at most 80 characters; empty when there is none
    /// (the heading of a list row, a mail, an exported object).
    pub fn title(&self) -> String {
        self.summary
            .as_ref()
            .and_then(|s| s.description.as_deref())
            .and_then(|d| {
                d.lines()
                    .map(|l| l.trim_start_matches(['・', ' ', '　']).trim())
                    .find(|l| !l.is_empty())
            })
            .map(|l| l.chars().take(80).collect::<String>())
            .unwrap_or_default()
    }

    /// Field paths whose values differ from `prev` (for the edition diff on the thread page).
    pub fn changed_fields(&self, prev: &ReportForm) -> Vec<String> {
        let (Ok(a), Ok(b)) = (serde_json::to_value(prev), serde_json::to_value(self)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        diff_values("", &a, &b, &mut out);
        out.retain(|f| f != "edition" && f != "number");
        out
    }
}

/// What replaces identifying strings in an anonymised form (catalogue `report.anonymized_marker`).
pub fn anonymized_marker() -> &'static str {
    crate::messages::t(crate::messages::Locale::Ja, "report.anonymized_marker")
}

fn diff_values(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_values(&p, va, vb, out),
                    _ => out.push(p),
                }
            }
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../../fixtures/report-fig5.json");

    fn reference() -> ReferenceData {
        ReferenceData::bundled().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_seed_example_is_accepted_and_round_trips_unchanged() {
        let form: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        assert_eq!(form.validate(&reference()), Ok(()));
        let mut original: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        if let Some(o) = original.as_object_mut() {
            o.remove("_comment");
        }
        assert_eq!(serde_json::to_value(&form).unwrap(), original);
    }

    #[test]
    fn only_the_starred_fields_are_required() {
        let minimal = r#"{"edition":1,"reported_at":"2026-11-22T09:00:00+09:00",
            "contact":{"organization":"金融デモ事業者1","person":"連絡 太郎","email":"taro@op.example"},
            "tlp":"amber","has_attachment":false,"sector":"finance"}"#;
        let form: ReportForm = serde_json::from_str(minimal).unwrap();
        assert_eq!(form.validate(&reference()), Ok(()));
    }

    #[test]
    fn errors_name_the_field_in_japanese_and_by_path() {
        let bad = r#"{"edition":0,"number":"X9","reported_at":"2026-11-22T09:00:00+09:00",
            "contact":{"organization":"","person":"","email":"not-mail"},
            "tlp":"red","has_attachment":false,"sector":"ports","causes":["dos","dos"],
            "timeline":[{"at":"2026-11-22T09:00:00+09:00","text":" "}]}"#;
        let form: ReportForm = serde_json::from_str(bad).unwrap();
        let errors = form.validate(&reference()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "edition",
                "number",
                "contact.organization",
                "contact.person",
                "contact.email",
                "sector",
                "causes[1]",
                "timeline[0].text"
            ]
        );
        assert!(errors[3].message.contains("担当者名"), "{:?}", errors[3]);
        assert!(errors[5].message.contains("ports"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("R1"), Some((1, None)));
        assert_eq!(parse_number("R12-3"), Some((12, Some(3))));
        for bad in ["R0", "R", "1", "R1-1", "R01", "T1", "R1-"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(edition_number(Some(7), 1).as_deref(), Some("R7"));
        assert_eq!(edition_number(Some(7), 3).as_deref(), Some("R7-3"));
        assert_eq!(edition_number(None, 3), None);
    }

    #[test]
    fn anonymisation_removes_the_operator_from_every_text() {
        let form: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        let cep = Contact {
            organization: "金融セプター事務局".into(),
            person: "事務局 花子".into(),
            email: "jimukyoku@ceptoar.example".into(),
            ..Default::default()
        };
        let anon = form.anonymized(&["○○株式会社".to_owned()], cep.clone());
        assert_eq!(anon.operator_name, None);
        assert_eq!(anon.contact, cep);
        let json = serde_json::to_string(&anon).unwrap();
        for needle in [
            "○○株式会社",
            "連絡 太郎",
            "renraku.taro@xx.go.jp",
            "03-XXXX-YYYY",
            "XX省",
        ] {
            assert!(!json.contains(needle), "{needle} survived: {json}");
        }
        assert!(json.contains(anonymized_marker()));
        // Everything else is kept.
        assert_eq!(anon.timeline.len(), form.timeline.len());
        assert_eq!(anon.event, form.event);
    }

    #[test]
    fn changed_fields_lists_what_a_follow_up_changed() {
        let a: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        let mut b = a.clone();
        b.edition = 2;
        b.outlook = Some(Outlook::Closed);
        if let Some(i) = b.impact.as_mut() {
            i.system_status = Some(SystemStatus::Recovered);
        }
        assert_eq!(b.changed_fields(&a), ["impact.system_status", "outlook"]);
    }
}
