//! The incident-report form (情報連絡様式, 図4) as a worksheet: the rows, labels, numbering and
//! check boxes of the seed, the reference data's lists as drop-downs; and a filled sheet read
//! back into a report form, every problem named by its cell.

use kyoyu_domain::OrgCode;
use kyoyu_domain::codes::{
    Cause, EventClass, Outlook, PressState, ReportBasis, Severity, SystemStatus, Tlp,
};
use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::report::{Contact, External, Impact, ReportForm, Summary, TimelineEntry};

use crate::cells::{self, CellError, Problems};
use crate::choices::{self, Lists};
use crate::sheet::{self, Filled, Kind, Layout, Line, Val};

/// The worksheet's name: the form's title.
pub fn sheet() -> &'static str {
    kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, "report.form_title")
}
/// Timeline rows a blank form offers (more are added for longer timelines).
const TIMELINE_ROWS: usize = 10;

fn l(key: &'static str) -> String {
    ja(key, &[])
}

fn yes_no(v: Option<bool>) -> Val {
    match v {
        Some(true) => Val::text(&l("report.yes")),
        Some(false) => Val::text(&l("report.no")),
        None => Val::Empty,
    }
}

fn label_of<T>(v: Option<T>, label: fn(T) -> &'static str) -> Val {
    v.map_or(Val::Empty, |v| Val::text(label(v)))
}

/// The rows of 図4, filled from `form` (or blank).
fn layout(form: Option<&ReportForm>, reference: &ReferenceData, title: &str) -> Layout {
    let blank = blank_form();
    let f = form.unwrap_or(&blank);
    let c = &f.contact;
    let summary = f.summary.clone().unwrap_or_default();
    let impact = f.impact.clone().unwrap_or_default();
    let external = f.external.clone().unwrap_or_default();
    let sector = reference
        .sector(&f.sector)
        .map_or(Val::text(&f.sector), |s| Val::text(&s.name_ja));
    let mut lines = vec![
        Line::section("basic", &l("report.sec_header")),
        Line::new(
            "edition",
            &l("report.edition"),
            field(),
            if form.is_some() {
                Val::Int(i64::from(f.edition))
            } else {
                Val::Int(1)
            },
        )
        .required(),
        Line::field("number", &l("report.number"), Val::opt_text(&f.number)),
        Line::field(
            "reported_at",
            &l("report.reported_at"),
            if form.is_some() {
                Val::Time(f.reported_at)
            } else {
                Val::Empty
            },
        )
        .required(),
        Line::pick(
            "basis",
            &l("report.basis"),
            choices::REPORT_BASIS,
            label_of(f.basis, ReportBasis::label),
        ),
        Line::pick(
            "exercise",
            &l("workbook.exercise"),
            choices::YES_NO,
            yes_no(Some(f.exercise)),
        ),
        Line::section("contact", &l("report.contact")),
        Line::field(
            "contact.organization",
            &l("report.contact_organization"),
            Val::text(&c.organization),
        )
        .required(),
        Line::field(
            "contact.department",
            &l("report.contact_department"),
            Val::text(&c.department),
        ),
        Line::field(
            "contact.person",
            &l("report.contact_person"),
            Val::text(&c.person),
        )
        .required(),
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
        Line::section("scope", &l("report.tlp")),
        Line::pick(
            "tlp",
            &l("report.tlp"),
            choices::TLP,
            Val::text(f.tlp.label()),
        )
        .required(),
        Line::tall("tlp_note", &l("report.tlp_note"), Val::text(&f.tlp_note)),
        Line::field(
            "tlp_additions",
            &l("report.tlp_additions"),
            Val::text(
                &f.tlp_additions
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        Line::pick(
            "has_attachment",
            &l("report.has_attachment"),
            choices::YES_NO,
            yes_no(Some(f.has_attachment)),
        )
        .required(),
        Line::pick(
            "severity",
            &l("report.severity"),
            choices::SEVERITY,
            label_of(f.severity, Severity::label),
        ),
        Line::section(
            "event",
            &format!("① {}（{}）", l("report.event"), l("report.event_hint")),
        ),
    ];
    for e in EventClass::ALL {
        lines.push(Line::check(
            &format!("event:{}", e.code()),
            e.label(),
            f.event == Some(*e),
        ));
    }
    lines.push(Line::section(
        "causes",
        &format!("② {}（{}）", l("report.causes"), l("report.causes_hint")),
    ));
    let mut group = None;
    for cause in Cause::ALL {
        let mut line = Line::check(
            &format!("cause:{}", cause.code()),
            cause.label(),
            f.causes.contains(cause),
        )
        .second(Val::text(cause.help()));
        if group != Some(cause.group()) {
            group = Some(cause.group());
            line = line.group(cause.group().label());
        }
        lines.push(line);
    }
    lines.extend([
        Line::section("sector_section", &format!("③ {}", l("report.sector"))),
        Line::pick("sector", &l("report.sector"), choices::SECTOR, sector).required(),
        Line::section("operator", &format!("④ {}", l("report.operator_name"))),
        Line::field(
            "operator_name",
            &l("report.operator_name"),
            Val::opt_text(&f.operator_name),
        ),
        Line::section("summary", &format!("⑤ {}", l("report.summary"))),
        Line::field(
            "summary.occurred_at",
            &l("report.occurred_at"),
            Val::opt_time(summary.occurred_at),
        ),
        Line::field(
            "summary.occurred_at_note",
            &l("report.occurred_at_note"),
            Val::opt_text(&summary.occurred_at_note),
        ),
        Line::field(
            "summary.discovered_at",
            &l("report.discovered_at"),
            Val::opt_time(summary.discovered_at),
        ),
        Line::tall(
            "summary.affected_system",
            &l("report.affected_system"),
            Val::opt_text(&summary.affected_system),
        ),
        Line::tall(
            "summary.description",
            &l("report.description"),
            Val::opt_text(&summary.description),
        ),
        Line::section("impact", &format!("⑥ {}", l("report.impact"))),
        Line::pick(
            "impact.sml_deviation",
            &l("report.sml_deviation"),
            choices::YES_NO,
            yes_no(impact.sml_deviation),
        ),
        Line::pick(
            "impact.system_status",
            &l("report.system_status"),
            choices::SYSTEM_STATUS,
            label_of(impact.system_status, SystemStatus::label),
        ),
        Line::pick(
            "impact.spillover_possible",
            &l("report.spillover"),
            choices::YES_NO,
            yes_no(impact.spillover_possible),
        ),
        Line::tall(
            "impact.note",
            &l("report.impact_note"),
            Val::opt_text(&impact.note),
        ),
        Line::section("timeline_section", &format!("⑦ {}", l("report.timeline"))),
        Line::new(
            "timeline.header",
            "",
            Kind::PairHeader(l("report.timeline_at"), l("report.timeline_text")),
            Val::Empty,
        ),
    ]);
    for i in 0..f.timeline.len().max(TIMELINE_ROWS) {
        let row = f.timeline.get(i);
        let n = (i + 1).to_string();
        lines.push(
            Line::new(
                "timeline",
                &ja("workbook.timeline_row", &[("n", &n)]),
                Kind::Pair { list: None },
                Val::opt_time(row.map(|r| r.at)),
            )
            .second(row.map_or(Val::Empty, |r| Val::text(&r.text))),
        );
    }
    lines.extend([
        Line::section("outlook_section", &format!("⑧ {}", l("report.outlook"))),
        Line::pick(
            "outlook",
            &l("report.outlook"),
            choices::OUTLOOK,
            label_of(f.outlook, Outlook::label),
        ),
        Line::section("external", &l("report.external")),
        Line::pick(
            "external.press",
            &l("report.press"),
            choices::PRESS,
            label_of(external.press, PressState::label),
        ),
        Line::field(
            "external.press_note",
            &l("report.press_note"),
            Val::opt_text(&external.press_note),
        ),
        Line::tall(
            "external.other_contacts",
            &l("report.other_contacts"),
            Val::opt_text(&external.other_contacts),
        ),
        Line::section("lessons_section", &format!("⑨ {}", l("report.lessons"))),
        Line::tall("lessons", &l("report.lessons"), Val::opt_text(&f.lessons)),
    ]);
    Layout {
        sheet: sheet(),
        title: title.to_owned(),
        tlp: f.tlp,
        lines,
        lists: Lists::report(reference),
    }
}

fn field() -> Kind {
    Kind::Field {
        list: None,
        tall: false,
    }
}

/// The sheet title: 情報連絡様式, with 【訓練】 for an exercise and the number when there is one.
fn title(form: Option<&ReportForm>) -> String {
    let mut t = String::new();
    if form.is_some_and(|f| f.exercise) {
        t.push_str(&l("report.exercise_prefix"));
    }
    t.push_str(&l("report.form_title"));
    if let Some(f) = form {
        t.push_str(&ja(
            "workbook.edition_title",
            &[
                ("edition", &f.edition.to_string()),
                ("number", f.number.as_deref().unwrap_or("")),
            ],
        ));
    }
    t.trim_end().to_owned()
}

/// The .xlsx of a report edition's form as the viewer sees it.
pub fn export(form: &ReportForm, reference: &ReferenceData) -> Result<Vec<u8>, CellError> {
    sheet::write(&layout(Some(form), reference, &title(Some(form)))).map_err(crate::write_failed)
}

/// A blank form to fill by hand.
pub fn blank(reference: &ReferenceData) -> Result<Vec<u8>, CellError> {
    sheet::write(&layout(None, reference, &title(None))).map_err(crate::write_failed)
}

/// A filled sheet as a report form; every problem, by cell, when there is any. The form's own
/// validation runs too, and its errors are placed on the cells they are about.
pub fn import(bytes: &[u8], reference: &ReferenceData) -> Result<ReportForm, Vec<CellError>> {
    let filled = sheet::read(bytes, sheet()).map_err(|e| vec![e])?;
    let mut p = Problems::default();
    let form = read_form(&filled, reference, &mut p);
    if let Err(errors) = form.validate(reference) {
        for e in errors {
            p.push(place(&filled, &form, &e.field, e.message));
        }
    }
    if p.0.is_empty() { Ok(form) } else { Err(p.0) }
}

/// The cell a validation error of `field` is about.
fn place(filled: &Filled, form: &ReportForm, field: &str, message: String) -> CellError {
    let (base, index) = match field.split_once('[') {
        Some((b, rest)) => (
            b,
            rest.split(']').next().and_then(|n| n.parse::<usize>().ok()),
        ),
        None => (field, None),
    };
    let found = match (base, index) {
        ("timeline", Some(i)) => filled
            .pairs("timeline")
            .iter()
            .filter(|r| !sheet::is_blank(&r.first.data) || !sheet::is_blank(&r.second.data))
            .nth(i)
            .map(|r| r.second.clone()),
        ("causes", Some(i)) => form
            .causes
            .get(i)
            .and_then(|c| filled.get(&format!("cause:{}", c.code())).cloned()),
        _ => filled.get(base).cloned(),
    };
    match found {
        Some(f) => CellError {
            cell: f.cell,
            label: f.label,
            message,
        },
        None => CellError {
            cell: String::new(),
            label: kyoyu_domain::report::field_label(field).to_owned(),
            message,
        },
    }
}

fn read_form(filled: &Filled, reference: &ReferenceData, p: &mut Problems) -> ReportForm {
    let get = |k: &str| filled.get(k);
    let text = |k: &str| cells::text(get(k)).trim().to_owned();
    let opt = |k: &str| cells::opt_text(get(k));
    let edition = cells::edition(get("edition"), p);
    let reported_at = cells::time(get("reported_at"), p).unwrap_or_else(|| {
        cells::missing(get("reported_at"), &l("report.reported_at"), p);
        blank_form().reported_at
    });
    let mut event = None;
    for e in EventClass::ALL {
        let cell = get(&format!("event:{}", e.code()));
        if cells::checked(cell, p) {
            if event.is_some() {
                if let Some(f) = cell {
                    p.push(f.error(Msg::new("workbook.one_event")));
                }
            } else {
                event = Some(*e);
            }
        }
    }
    let causes: Vec<Cause> = Cause::ALL
        .iter()
        .copied()
        .filter(|c| cells::checked(get(&format!("cause:{}", c.code())), p))
        .collect();
    let sector = match get("sector") {
        Some(f) if !sheet::is_blank(&f.data) => {
            cells::pick(Some(f), &choices::sectors(reference), p)
                .unwrap_or_default()
                .to_owned()
        }
        _ => String::new(),
    };
    let mut tlp_additions = Vec::new();
    let additions = text("tlp_additions");
    for code in additions
        .split([',', '、', '，', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match OrgCode::parse(code) {
            Ok(c) => tlp_additions.push(c),
            Err(_) => {
                if let Some(f) = get("tlp_additions") {
                    p.push(f.error(Msg::new("workbook.bad_org_code").arg("value", code)));
                }
            }
        }
    }
    let summary = Summary {
        occurred_at: cells::time(get("summary.occurred_at"), p),
        occurred_at_note: opt("summary.occurred_at_note"),
        discovered_at: cells::time(get("summary.discovered_at"), p),
        affected_system: opt("summary.affected_system"),
        description: opt("summary.description"),
    };
    let impact = Impact {
        sml_deviation: cells::yes_no(get("impact.sml_deviation"), p),
        system_status: cells::pick(
            get("impact.system_status"),
            &choices::of(SystemStatus::ALL, SystemStatus::label, SystemStatus::code),
            p,
        ),
        spillover_possible: cells::yes_no(get("impact.spillover_possible"), p),
        note: opt("impact.note"),
        // The official 様式 has no cells for the service and figures of the deviation check.
        ..Impact::default()
    };
    let external = External {
        press: cells::pick(
            get("external.press"),
            &choices::of(PressState::ALL, PressState::label, PressState::code),
            p,
        ),
        press_note: opt("external.press_note"),
        other_contacts: opt("external.other_contacts"),
    };
    let mut timeline = Vec::new();
    for row in filled.pairs("timeline") {
        let at = cells::time(Some(&row.first), p);
        let text = cells::text(Some(&row.second));
        match at {
            Some(at) => timeline.push(TimelineEntry { at, text }),
            None if sheet::is_blank(&row.first.data) => {
                p.push(row.first.error(Msg::new("workbook.timeline_no_time")));
            }
            None => {}
        }
    }
    let tlp = cells::pick(get("tlp"), &choices::tlp(), p).unwrap_or_else(|| {
        cells::missing(get("tlp"), &l("report.tlp"), p);
        Tlp::Red
    });
    ReportForm {
        comment: None,
        edition,
        number: opt("number").map(|n| n.trim().to_owned()),
        reported_at,
        contact: Contact {
            organization: text("contact.organization"),
            department: text("contact.department"),
            person: text("contact.person"),
            phone: text("contact.phone"),
            fax: text("contact.fax"),
            email: text("contact.email"),
        },
        severity: cells::pick(
            get("severity"),
            &choices::of(Severity::ALL, Severity::label, Severity::code),
            p,
        ),
        tlp,
        tlp_note: cells::text(get("tlp_note")),
        tlp_additions,
        event,
        causes,
        has_attachment: cells::yes_no(get("has_attachment"), p).unwrap_or(false),
        sector,
        operator_name: opt("operator_name"),
        summary: (summary != Summary::default()).then_some(summary),
        impact: (impact != Impact::default()).then_some(impact),
        timeline,
        outlook: cells::pick(
            get("outlook"),
            &choices::of(Outlook::ALL, Outlook::label, Outlook::code),
            p,
        ),
        external: (external != External::default()).then_some(external),
        lessons: opt("lessons"),
        basis: cells::pick(
            get("basis"),
            &choices::of(ReportBasis::ALL, ReportBasis::label, ReportBasis::code),
            p,
        ),
        exercise: cells::yes_no(get("exercise"), p).unwrap_or(false),
    }
}

/// The form a blank sheet shows: the first edition, nothing filled.
fn blank_form() -> ReportForm {
    ReportForm {
        comment: None,
        edition: 1,
        number: None,
        reported_at: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        contact: Contact::default(),
        severity: None,
        tlp: Tlp::Amber,
        tlp_note: String::new(),
        tlp_additions: Vec::new(),
        event: None,
        causes: Vec::new(),
        has_attachment: false,
        sector: String::new(),
        operator_name: None,
        summary: None,
        impact: None,
        timeline: Vec::new(),
        outlook: None,
        external: None,
        lessons: None,
        basis: None,
        exercise: false,
    }
}
