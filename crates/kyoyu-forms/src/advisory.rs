//! The advisory form (情報提供様式, 図7) as a worksheet, and a filled sheet read back into an
//! advisory form, every problem named by its cell.

use kyoyu_domain::advisory::{AdvisoryForm, NiscContact, Recipient};
use kyoyu_domain::codes::{AdvisoryBasis, Severity, Tlp};
use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::reference::ReferenceData;

use crate::cells::{self, CellError, Problems};
use crate::choices::{self, Lists};
use crate::sheet::{self, Filled, Kind, Layout, Line, Val};

/// The worksheet's name: the form's title.
pub fn sheet() -> &'static str {
    kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, "advisory.form_title")
}
/// Recipient rows a blank form offers.
const RECIPIENT_ROWS: usize = 6;

fn l(key: &'static str) -> String {
    ja(key, &[])
}

fn yes_no(v: bool) -> Val {
    Val::text(&l(if v { "report.yes" } else { "report.no" }))
}

fn layout(form: Option<&AdvisoryForm>, reference: &ReferenceData) -> Layout {
    let blank = blank_form();
    let f = form.unwrap_or(&blank);
    let c = &f.contact;
    let mut lines = vec![
        Line::section("basic", &l("advisory.sec_header")),
        Line::new(
            "edition",
            &l("advisory_field.edition"),
            Kind::Field {
                list: None,
                tall: false,
            },
            Val::Int(i64::from(f.edition)),
        )
        .required(),
        Line::field(
            "number",
            &l("advisory_field.number"),
            Val::opt_text(&f.number),
        ),
        Line::field(
            "provided_at",
            &l("advisory_field.provided_at"),
            if form.is_some() {
                Val::Time(f.provided_at)
            } else {
                Val::Empty
            },
        )
        .required(),
        Line::pick(
            "basis",
            &l("advisory_field.basis"),
            choices::ADVISORY_BASIS,
            f.basis.map_or(Val::Empty, |b| Val::text(b.label())),
        ),
        Line::pick(
            "exercise",
            &l("workbook.exercise"),
            choices::YES_NO,
            yes_no(f.exercise),
        ),
        Line::section("recipients_section", &l("advisory.recipients")),
        Line::new(
            "recipients.header",
            "",
            Kind::PairHeader(l("workbook.ministry"), l("workbook.sectors")),
            Val::Empty,
        ),
    ];
    for i in 0..f.recipients.len().max(RECIPIENT_ROWS) {
        let r = f.recipients.get(i);
        let ministry = r.map_or(Val::Empty, |r| {
            Val::text(
                reference
                    .ministry(&r.ministry)
                    .map_or(r.ministry.as_str(), |m| m.name_ja.as_str()),
            )
        });
        let sectors = r.map_or(Val::Empty, |r| {
            Val::text(
                &r.sectors
                    .iter()
                    .map(|s| reference.sector_name(s))
                    .collect::<Vec<_>>()
                    .join("、"),
            )
        });
        let n = (i + 1).to_string();
        lines.push(
            Line::new(
                "recipients",
                &ja("workbook.recipient_row", &[("n", &n)]),
                Kind::Pair {
                    list: Some(choices::MINISTRY),
                },
                ministry,
            )
            .second(sectors),
        );
    }
    lines.extend([
        Line::section("scope", &l("report.tlp")),
        Line::pick(
            "tlp",
            &l("report.tlp"),
            choices::TLP,
            Val::text(f.tlp.label()),
        )
        .required(),
        Line::tall(
            "tlp_note",
            &l("advisory_field.tlp_note"),
            Val::text(&f.tlp_note),
        ),
        Line::pick(
            "has_attachment",
            &l("advisory_field.has_attachment"),
            choices::YES_NO,
            yes_no(f.has_attachment),
        )
        .required(),
        Line::pick(
            "severity",
            &l("advisory_field.severity"),
            choices::SEVERITY,
            f.severity.map_or(Val::Empty, |s| Val::text(s.label())),
        ),
        Line::section("content", &l("advisory.content")),
        Line::tall(
            "overview",
            &format!("① {}", l("advisory.overview")),
            Val::text(&f.overview),
        ),
        Line::tall(
            "target",
            &format!("② {}", l("advisory.target")),
            Val::text(&f.target),
        ),
        Line::tall(
            "countermeasures",
            &format!("③ {}", l("advisory.countermeasures")),
            Val::text(&f.countermeasures),
        ),
        Line::tall(
            "other",
            &format!("④ {}", l("advisory.other")),
            Val::text(&f.other),
        ),
        Line::section("contact", &l("advisory.contact")),
        Line::field(
            "contact.person",
            &l("report.contact_person"),
            Val::text(&c.person),
        ),
        Line::field(
            "contact.phone",
            &l("report.contact_phone"),
            Val::text(&c.phone),
        ),
        Line::field("contact.fax", &l("report.contact_fax"), Val::text(&c.fax)),
        Line::field(
            "contact.email",
            &l("report.contact_email"),
            Val::text(&c.email),
        ),
    ]);
    let mut title = String::new();
    if f.exercise {
        title.push_str(&l("report.exercise_prefix"));
    }
    title.push_str(&l("advisory.form_title"));
    if form.is_some() {
        title.push_str(&ja(
            "workbook.edition_title",
            &[
                ("edition", &f.edition.to_string()),
                ("number", f.number.as_deref().unwrap_or("")),
            ],
        ));
    }
    Layout {
        sheet: sheet(),
        title: title.trim_end().to_owned(),
        tlp: f.tlp,
        lines,
        lists: Lists::advisory(reference),
    }
}

fn blank_form() -> AdvisoryForm {
    AdvisoryForm {
        comment: None,
        edition: 1,
        number: None,
        provided_at: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        recipients: Vec::new(),
        severity: None,
        tlp: Tlp::Amber,
        tlp_note: String::new(),
        has_attachment: false,
        overview: String::new(),
        target: String::new(),
        countermeasures: String::new(),
        other: String::new(),
        contact: NiscContact::default(),
        basis: None,
        exercise: false,
        events: Vec::new(),
        causes: Vec::new(),
    }
}

/// The .xlsx of an advisory's form as the viewer sees it.
pub fn export(form: &AdvisoryForm, reference: &ReferenceData) -> Result<Vec<u8>, CellError> {
    sheet::write(&layout(Some(form), reference)).map_err(crate::write_failed)
}

/// A blank advisory form.
pub fn blank(reference: &ReferenceData) -> Result<Vec<u8>, CellError> {
    sheet::write(&layout(None, reference)).map_err(crate::write_failed)
}

/// A filled sheet as an advisory form; every problem, by cell, when there is any.
pub fn import(bytes: &[u8], reference: &ReferenceData) -> Result<AdvisoryForm, Vec<CellError>> {
    let filled = sheet::read(bytes, sheet()).map_err(|e| vec![e])?;
    let mut p = Problems::default();
    let form = read_form(&filled, reference, &mut p);
    if let Err(errors) = form.validate(reference) {
        for e in errors {
            let base = e.field.split(['[', '.']).next().unwrap_or_default();
            let found = match base {
                "recipients" => filled.pairs("recipients").first().map(|r| &r.first),
                _ => filled.get(&e.field).or_else(|| filled.get(base)),
            };
            p.push(match found {
                Some(f) => CellError {
                    cell: f.cell.clone(),
                    label: f.label.clone(),
                    message: e.message,
                },
                None => CellError {
                    cell: String::new(),
                    label: kyoyu_domain::advisory::field_label(&e.field).to_owned(),
                    message: e.message,
                },
            });
        }
    }
    if p.0.is_empty() { Ok(form) } else { Err(p.0) }
}

fn read_form(filled: &Filled, reference: &ReferenceData, p: &mut Problems) -> AdvisoryForm {
    let get = |k: &str| filled.get(k);
    let text = |k: &str| cells::text(get(k)).trim().to_owned();
    let edition = cells::edition(get("edition"), p);
    let provided_at = cells::time(get("provided_at"), p).unwrap_or_else(|| {
        cells::missing(get("provided_at"), &l("advisory_field.provided_at"), p);
        blank_form().provided_at
    });
    let ministries = choices::ministries(reference);
    let sectors = choices::sectors(reference);
    let mut recipients = Vec::new();
    for row in filled.pairs("recipients") {
        let Some(ministry) = cells::pick(Some(&row.first), &ministries, p) else {
            if sheet::is_blank(&row.first.data) {
                p.push(row.first.error(Msg::new("workbook.recipient_no_ministry")));
            }
            continue;
        };
        let mut codes = Vec::new();
        for name in cells::text(Some(&row.second))
            .split(['、', ',', '，', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let one = sheet::Found {
                data: calamine::Data::String(name.to_owned()),
                ..row.second.clone()
            };
            if let Some(code) = cells::pick(Some(&one), &sectors, p) {
                codes.push(code.to_owned());
            }
        }
        recipients.push(Recipient {
            ministry: ministry.to_owned(),
            sectors: codes,
        });
    }
    let tlp = cells::pick(get("tlp"), &choices::tlp(), p).unwrap_or_else(|| {
        cells::missing(get("tlp"), &l("report.tlp"), p);
        Tlp::Red
    });
    AdvisoryForm {
        comment: None,
        edition,
        number: cells::opt_text(get("number")).map(|n| n.trim().to_owned()),
        provided_at,
        recipients,
        severity: cells::pick(
            get("severity"),
            &choices::of(Severity::ALL, Severity::label, Severity::code),
            p,
        ),
        tlp,
        tlp_note: cells::text(get("tlp_note")),
        has_attachment: cells::yes_no(get("has_attachment"), p).unwrap_or(false),
        overview: cells::text(get("overview")),
        target: cells::text(get("target")),
        countermeasures: cells::text(get("countermeasures")),
        other: cells::text(get("other")),
        contact: NiscContact {
            person: text("contact.person"),
            phone: text("contact.phone"),
            fax: text("contact.fax"),
            email: text("contact.email"),
        },
        basis: cells::pick(
            get("basis"),
            &choices::of(
                AdvisoryBasis::ALL,
                AdvisoryBasis::label,
                AdvisoryBasis::code,
            ),
            p,
        ),
        exercise: cells::yes_no(get("exercise"), p).unwrap_or(false),
        // Not on the 様式: a sheet carries no classification of its own.
        events: Vec::new(),
        causes: Vec::new(),
    }
}
