//! A STIX 2.1 bundle in: a draft report of the caller's organisation, or NISC's draft
//! advisory, through the same use cases as a form from the page. A bundle kyoyu exported
//! carries its form in kyoyu's extension and comes back as the same form; any other (MISP,
//! OpenCTI) gives its heading, text, TLP, indicators, vulnerabilities, malware and courses of
//! action as the draft's text. The bundle itself is attached to the draft in the same
//! transaction, so nothing it held is lost — properties kyoyu does not read included — and a
//! bad bundle creates nothing.

use std::collections::BTreeMap;

use kyoyu_domain::Tlp;
use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::report::ReportForm;
use kyoyu_domain::wareki::jst;
use serde_json::{Value, json};

use super::stix::{Incoming, read_bundle};
use crate::advisories::AdvisoryView;
use crate::auth::Session;
use crate::directory::Refs;
use crate::reports::{ReportThread, Upload};
use crate::{Core, CoreError, Result};

/// The bundle as it came, attached to the draft.
fn as_attachment(bytes: &[u8]) -> Upload<'_> {
    Upload {
        kind: "document",
        file_name: "stix-bundle.json",
        content_type: super::stix::MEDIA_TYPE,
        bytes,
    }
}

fn parse(bytes: &[u8]) -> Result<Incoming> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CoreError::invalid("bundle", Msg::new("stix.not_json").arg("detail", e)))?;
    read_bundle(&v).map_err(|p| CoreError::invalid(format!("bundle.{}", p.path), p.message))
}

/// `【label】` and a line per item (catalogue `stix.import_section`, `stix.import_line`).
fn section(label: &'static str, items: &[String]) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|l| ja("stix.import_line", &[("line", l)]))
        .collect();
    ja(
        "stix.import_section",
        &[("label", &ja(label, &[])), ("lines", &lines.join("\n"))],
    )
}

/// The draft's text: headings, descriptions, then each kind of structured data under its label.
fn body(inc: &Incoming) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(inc.headings.iter().cloned());
    parts.extend(inc.descriptions.iter().cloned());
    for (key, list) in [
        ("stix.import_indicators", &inc.indicators),
        ("stix.import_vulnerabilities", &inc.vulnerabilities),
        ("stix.import_malware", &inc.malware),
        ("stix.import_courses", &inc.courses),
    ] {
        if !list.is_empty() {
            parts.push(section(key, list));
        }
    }
    parts.join("\n\n")
}

fn note(inc: &Incoming) -> String {
    inc.statements.join("\n")
}

impl Core {
    /// A bundle as a draft report of the caller's organisation (its sector, the caller as the
    /// contact), or — for a bundle kyoyu exported — the form it carries, as a first edition.
    pub async fn import_report_stix(&self, s: &Session, bytes: &[u8]) -> Result<ReportThread> {
        let inc = parse(bytes)?;
        let form = match inc.report_form.clone() {
            Some(mut f) => {
                f.edition = 1;
                f.number = None;
                f
            }
            None => self.report_from(s, &inc).await?,
        };
        let thread = self
            .create_report_with(s, form, None, false, false, Some(&as_attachment(bytes)))
            .await?;
        self.audit_read(
            &s.actor,
            "report_imported",
            format!("report:{}", thread.id),
            json!({ "format": "stix" }),
        )
        .await;
        Ok(thread)
    }

    async fn report_from(&self, s: &Session, inc: &Incoming) -> Result<ReportForm> {
        let org = s
            .actor
            .org()
            .ok_or_else(|| CoreError::invalid("form.sector", Msg::new("stix.no_sector")))?;
        let sector = org
            .sectors
            .iter()
            .chain(org.jurisdiction.iter())
            .chain(org.ceptoar_sectors.iter())
            .next()
            .cloned()
            .ok_or_else(|| CoreError::invalid("form.sector", Msg::new("stix.no_sector")))?;
        let org_name = {
            let mut tx = self.store.read().await?;
            Refs::load(&mut tx, [org.id]).await?.get(org.id).name
        };
        let form = json!({
            "edition": 1,
            "reported_at": self.now().with_timezone(&jst()).to_rfc3339(),
            "contact": { "organization": org_name, "person": s.name, "email": s.email },
            "tlp": inc.tlp.unwrap_or(Tlp::Red).code(),
            "tlp_note": note(inc),
            "has_attachment": true,
            "sector": sector,
            "summary": { "description": body(inc) },
        });
        serde_json::from_value(form).map_err(CoreError::internal)
    }

    /// A bundle as NISC's draft advisory: the form a kyoyu export carries, or one addressed to
    /// every sector (NISC narrows the recipients before publishing), at the bundle's TLP
    /// (Red when it has none).
    pub async fn import_advisory_stix(&self, s: &Session, bytes: &[u8]) -> Result<AdvisoryView> {
        let inc = parse(bytes)?;
        let form = match inc.advisory_form.clone() {
            Some(f) => f,
            None => self.advisory_from(&inc)?,
        };
        let view = self
            .create_advisory_with(s, form, &[], Some(&as_attachment(bytes)))
            .await?;
        self.audit_read(
            &s.actor,
            "advisory_imported",
            format!("advisory:{}", view.id),
            json!({ "format": "stix" }),
        )
        .await;
        Ok(view)
    }

    fn advisory_from(&self, inc: &Incoming) -> Result<AdvisoryForm> {
        let reference = self.reference();
        let mut by_ministry: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for sector in &reference.sectors {
            by_ministry
                .entry(sector.ministry.as_str())
                .or_default()
                .push(sector.code.as_str());
        }
        let recipients: Vec<Value> = by_ministry
            .into_iter()
            .map(|(m, sectors)| json!({ "ministry": m, "sectors": sectors }))
            .collect();
        let overview = [inc.headings.clone(), inc.descriptions.clone()]
            .concat()
            .join("\n\n");
        let mut target = inc.vulnerabilities.clone();
        target.extend(inc.malware.iter().cloned());
        let other = if inc.indicators.is_empty() {
            String::new()
        } else {
            section("stix.import_indicators", &inc.indicators)
        };
        let form = json!({
            "edition": 1,
            "provided_at": self.now().with_timezone(&jst()).to_rfc3339(),
            "recipients": recipients,
            "tlp": inc.tlp.unwrap_or(Tlp::Red).code(),
            "tlp_note": note(inc),
            "has_attachment": true,
            "overview": overview,
            "target": target.join("、"),
            "countermeasures": inc.courses.join("\n"),
            "other": other,
        });
        serde_json::from_value(form).map_err(CoreError::internal)
    }
}
