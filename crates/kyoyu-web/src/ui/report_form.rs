//! The report form (情報連絡様式) as an HTML form: the flat fields a browser posts, turned into
//! the domain form with every problem named by its Japanese label, and back into values to
//! re-fill the form. Times are entered in JST (`datetime-local`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone};
use kyoyu_domain::messages::ja;
use kyoyu_domain::report::{
    Contact, External, Impact, ImpactFigures, ReportForm, Summary, TimelineEntry, field_label,
};
use kyoyu_domain::{OrgCode, Tlp};
use serde::Deserialize;

pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| chrono::Utc.fix())
}

/// `YYYY-MM-DDTHH:MM` in JST for a `datetime-local` input.
pub fn local(t: &DateTime<FixedOffset>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%dT%H:%M").to_string()
}

fn parse_local(
    field: &str,
    v: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<DateTime<FixedOffset>> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let parsed = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .and_then(|n| jst().from_local_datetime(&n).single())
        .or_else(|| DateTime::parse_from_rfc3339(v).ok());
    if parsed.is_none() {
        errors.push((field.to_owned(), ja("invalid.page_datetime", &[])));
    }
    parsed
}

/// Everything the HTML form posts, as strings (repeated fields as lists).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FormInput {
    pub reported_at: String,
    pub contact_organization: String,
    pub contact_department: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub contact_fax: String,
    pub contact_email: String,
    pub severity: String,
    pub tlp: String,
    pub tlp_note: String,
    pub tlp_additions: String,
    pub event: String,
    pub causes: Vec<String>,
    pub has_attachment: String,
    pub sector: String,
    pub operator_name: String,
    pub occurred_at: String,
    pub occurred_at_note: String,
    pub discovered_at: String,
    pub affected_system: String,
    pub description: String,
    pub sml_deviation: String,
    pub impact_service: String,
    pub fig_affected_users: String,
    pub fig_duration_minutes: String,
    pub fig_supply_loss_kw: String,
    pub fig_affected_households: String,
    pub fig_equipment: String,
    pub sml_reason: String,
    pub system_status: String,
    pub spillover_possible: String,
    pub impact_note: String,
    pub timeline_at: Vec<String>,
    pub timeline_text: Vec<String>,
    pub outlook: String,
    pub press: String,
    pub press_note: String,
    pub other_contacts: String,
    pub lessons: String,
    pub basis: String,
    pub exercise: String,
    // Route and action.
    pub to: String,
    pub anonymize: String,
    pub action: String,
    #[serde(rename = "_csrf")]
    pub csrf: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(s.replace("\r\n", "\n"))
    }
}

fn code<T: std::str::FromStr>(
    field: &str,
    v: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<T> {
    if v.trim().is_empty() {
        return None;
    }
    match v.trim().parse() {
        Ok(x) => Some(x),
        Err(_) => {
            errors.push((
                field.to_owned(),
                ja("invalid.not_an_option", &[("value", v)]),
            ));
            None
        }
    }
}

/// A whole number as people type it: full-width digits and thousands separators allowed.
fn figure(field: &str, v: &str, errors: &mut Vec<(String, String)>) -> Option<u64> {
    let digits: String = v
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '、' | ' ' | '　'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    if digits.is_empty() {
        return None;
    }
    match digits.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push((field.to_owned(), ja("invalid.figure_number", &[])));
            None
        }
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

impl FormInput {
    /// The domain form, or every problem as (field path, message).
    pub fn to_form(&self, edition: u32) -> Result<ReportForm, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let reported_at = parse_local("reported_at", &self.reported_at, &mut errors);
        if reported_at.is_none() && self.reported_at.trim().is_empty() {
            errors.push((
                "reported_at".into(),
                ja("invalid.required", &[("field", field_label("reported_at"))]),
            ));
        }
        let tlp: Option<Tlp> = code("tlp", &self.tlp, &mut errors);
        if tlp.is_none() && self.tlp.trim().is_empty() {
            errors.push((
                "tlp".into(),
                ja("invalid.required", &[("field", field_label("tlp"))]),
            ));
        }
        let has_attachment = yes_no(&self.has_attachment);
        if has_attachment.is_none() {
            errors.push((
                "has_attachment".into(),
                ja(
                    "invalid.required",
                    &[("field", field_label("has_attachment"))],
                ),
            ));
        }
        let mut additions = Vec::new();
        for c in self
            .tlp_additions
            .split([',', '、', ' ', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            match OrgCode::parse(c) {
                Ok(code) => additions.push(code),
                Err(_) => errors.push((
                    "tlp_additions".into(),
                    ja("invalid.org_code_named", &[("code", c)]),
                )),
            }
        }
        let causes = self
            .causes
            .iter()
            .filter_map(|c| code("causes", c, &mut errors))
            .collect();
        let mut timeline = Vec::new();
        for (i, (at, text)) in self
            .timeline_at
            .iter()
            .zip(
                self.timeline_text
                    .iter()
                    .chain(std::iter::repeat(&String::new())),
            )
            .enumerate()
        {
            if at.trim().is_empty() && text.trim().is_empty() {
                continue;
            }
            let field = format!("timeline[{i}]");
            match parse_local(&format!("{field}.at"), at, &mut errors) {
                Some(at) => timeline.push(TimelineEntry {
                    at,
                    text: text.replace("\r\n", "\n"),
                }),
                None if at.trim().is_empty() => {
                    errors.push((format!("{field}.at"), ja("invalid.timeline_at", &[])))
                }
                None => {}
            }
        }
        let summary = Summary {
            occurred_at: parse_local("summary.occurred_at", &self.occurred_at, &mut errors),
            occurred_at_note: opt(&self.occurred_at_note),
            discovered_at: parse_local("summary.discovered_at", &self.discovered_at, &mut errors),
            affected_system: opt(&self.affected_system),
            description: opt(&self.description),
        };
        let impact = self.impact(&mut errors);
        let external = External {
            press: code("external.press", &self.press, &mut errors),
            press_note: opt(&self.press_note),
            other_contacts: opt(&self.other_contacts),
        };
        let form = ReportForm {
            comment: None,
            edition,
            number: None,
            reported_at: reported_at.unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset()),
            contact: Contact {
                organization: self.contact_organization.trim().to_owned(),
                department: self.contact_department.trim().to_owned(),
                person: self.contact_person.trim().to_owned(),
                phone: self.contact_phone.trim().to_owned(),
                fax: self.contact_fax.trim().to_owned(),
                email: self.contact_email.trim().to_owned(),
            },
            severity: code("severity", &self.severity, &mut errors),
            tlp: tlp.unwrap_or(Tlp::Red),
            tlp_note: self.tlp_note.replace("\r\n", "\n"),
            tlp_additions: additions,
            event: code("event", &self.event, &mut errors),
            causes,
            has_attachment: has_attachment.unwrap_or(false),
            sector: self.sector.trim().to_owned(),
            operator_name: opt(&self.operator_name),
            summary: (summary != Summary::default()).then_some(summary),
            impact: (impact != Impact::default()).then_some(impact),
            timeline,
            outlook: code("outlook", &self.outlook, &mut errors),
            external: (external != External::default()).then_some(external),
            lessons: opt(&self.lessons),
            basis: code("basis", &self.basis, &mut errors),
            exercise: self.exercise == "yes",
        };
        if errors.is_empty() {
            Ok(form)
        } else {
            Err(errors)
        }
    }

    /// ⑥ as posted (also read alone, to show the deviation check before the form is sent).
    pub fn impact(&self, errors: &mut Vec<(String, String)>) -> Impact {
        let fig = |name: &str, v: &str, errors: &mut Vec<(String, String)>| {
            figure(&format!("impact.figures.{name}"), v, errors)
        };
        Impact {
            sml_deviation: yes_no(&self.sml_deviation),
            service: opt(&self.impact_service).map(|s| s.trim().to_owned()),
            figures: ImpactFigures {
                affected_users: fig("affected_users", &self.fig_affected_users, errors),
                duration_minutes: fig("duration_minutes", &self.fig_duration_minutes, errors),
                supply_loss_kw: fig("supply_loss_kw", &self.fig_supply_loss_kw, errors),
                affected_households: fig(
                    "affected_households",
                    &self.fig_affected_households,
                    errors,
                ),
                equipment: opt(&self.fig_equipment).map(|s| s.trim().to_owned()),
            },
            sml_reason: opt(&self.sml_reason),
            system_status: code("impact.system_status", &self.system_status, errors),
            spillover_possible: yes_no(&self.spillover_possible),
            note: opt(&self.impact_note),
        }
    }

    /// The inputs that re-fill the HTML form from a domain form.
    pub fn from_form(f: &ReportForm) -> FormInput {
        let yn = |b: Option<bool>| match b {
            Some(true) => "yes".to_owned(),
            Some(false) => "no".to_owned(),
            None => String::new(),
        };
        let num = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        let s = f.summary.clone().unwrap_or_default();
        let i = f.impact.clone().unwrap_or_default();
        let e = f.external.clone().unwrap_or_default();
        FormInput {
            reported_at: local(&f.reported_at),
            contact_organization: f.contact.organization.clone(),
            contact_department: f.contact.department.clone(),
            contact_person: f.contact.person.clone(),
            contact_phone: f.contact.phone.clone(),
            contact_fax: f.contact.fax.clone(),
            contact_email: f.contact.email.clone(),
            severity: f.severity.map(|x| x.code().to_owned()).unwrap_or_default(),
            tlp: f.tlp.code().to_owned(),
            tlp_note: f.tlp_note.clone(),
            tlp_additions: f
                .tlp_additions
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            event: f.event.map(|x| x.code().to_owned()).unwrap_or_default(),
            causes: f.causes.iter().map(|c| c.code().to_owned()).collect(),
            has_attachment: yn(Some(f.has_attachment)),
            sector: f.sector.clone(),
            operator_name: f.operator_name.clone().unwrap_or_default(),
            occurred_at: s.occurred_at.as_ref().map(local).unwrap_or_default(),
            occurred_at_note: s.occurred_at_note.unwrap_or_default(),
            discovered_at: s.discovered_at.as_ref().map(local).unwrap_or_default(),
            affected_system: s.affected_system.unwrap_or_default(),
            description: s.description.unwrap_or_default(),
            sml_deviation: yn(i.sml_deviation),
            impact_service: i.service.clone().unwrap_or_default(),
            fig_affected_users: num(i.figures.affected_users),
            fig_duration_minutes: num(i.figures.duration_minutes),
            fig_supply_loss_kw: num(i.figures.supply_loss_kw),
            fig_affected_households: num(i.figures.affected_households),
            fig_equipment: i.figures.equipment.clone().unwrap_or_default(),
            sml_reason: i.sml_reason.clone().unwrap_or_default(),
            system_status: i
                .system_status
                .map(|x| x.code().to_owned())
                .unwrap_or_default(),
            spillover_possible: yn(i.spillover_possible),
            impact_note: i.note.unwrap_or_default(),
            timeline_at: f.timeline.iter().map(|t| local(&t.at)).collect(),
            timeline_text: f.timeline.iter().map(|t| t.text.clone()).collect(),
            outlook: f.outlook.map(|x| x.code().to_owned()).unwrap_or_default(),
            press: e.press.map(|x| x.code().to_owned()).unwrap_or_default(),
            press_note: e.press_note.unwrap_or_default(),
            other_contacts: e.other_contacts.unwrap_or_default(),
            lessons: f.lessons.clone().unwrap_or_default(),
            basis: f.basis.map(|x| x.code().to_owned()).unwrap_or_default(),
            exercise: if f.exercise {
                "yes".to_owned()
            } else {
                String::new()
            },
            ..FormInput::default()
        }
    }

    pub fn has_cause(&self, code: &str) -> bool {
        self.causes.iter().any(|c| c == code)
    }

    /// Timeline rows to show: the filled ones plus empty rows to add more.
    pub fn timeline_rows(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .timeline_at
            .iter()
            .cloned()
            .zip(
                self.timeline_text
                    .iter()
                    .cloned()
                    .chain(std::iter::repeat(String::new())),
            )
            .filter(|(a, t)| !a.trim().is_empty() || !t.trim().is_empty())
            .collect();
        for _ in 0..3 {
            rows.push((String::new(), String::new()));
        }
        rows
    }
}

/// A message naming a field in Japanese, for the error list above the form.
pub fn describe(field: &str, message: &str) -> String {
    let base = field.trim_start_matches("form.");
    let key = base.split('[').next().unwrap_or(base);
    let label = field_label(key);
    if label.is_empty() || message.contains(label) {
        message.to_owned()
    } else {
        format!("{label}: {message}")
    }
}
