//! The printable view of a report: the form in force with ■/□ marks, laid out like the paper
//! form of 図4/図5, and the timeline.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::messages::ja;
use kyoyu_domain::report::field_label;
use kyoyu_domain::{
    Cause, CauseGroup, EventClass, Outlook, PressState, ReportBasis, Severity, SystemStatus, Tlp,
};

use super::form::thread_or_page;
use super::thread::heading_of;
use crate::AppState;
use crate::auth::MaybePageAuth;
use crate::ui::widgets::{
    drill_prefix, edition_label, marks, not_found_page, print_time, t_ja, yes_no_marks,
};
use crate::ui::{JA, L, render};
use kyoyu_core::reports::ReportThread;

#[derive(Template)]
#[template(path = "report_print.html")]
pub struct PrintTpl {
    pub l: L,
    pub back_url: String,
    pub form_title: String,
    pub heading: String,
    pub tlp_note: String,
    /// The scope printed on every page of a PDF.
    pub tlp: Tlp,
    pub rows: Vec<(String, String)>,
    pub timeline: Vec<(String, String)>,
}

/// The printable view with ■/□ marks, like the paper form (public for White reports).
pub async fn print(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match report_print(&t, None) {
        Some(tpl) => render(StatusCode::OK, &tpl),
        None => not_found_page(),
    }
}

/// The printable form of an edition (the latest when `edition` is `None`) as the caller sees
/// it; `None` when there is no such edition.
pub fn report_print(t: &ReportThread, edition: Option<u32>) -> Option<PrintTpl> {
    let ed = match edition {
        Some(n) => t.editions.iter().find(|e| e.edition == n),
        None => t.editions.last(),
    }?;
    let v = ed.latest()?;
    let mut form = v.form.clone();
    form.number = ed.number.clone();
    let f = &form;
    let s = f.summary.clone().unwrap_or_default();
    let i = f.impact.clone().unwrap_or_default();
    let e = f.external.clone().unwrap_or_default();
    let yn = yes_no_marks;
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    let causes = CauseGroup::ALL
        .iter()
        .map(|g| {
            let in_group: Vec<Cause> = Cause::ALL
                .iter()
                .copied()
                .filter(|c| c.group() == *g)
                .collect();
            format!(
                "【{}】{}",
                g.label(),
                marks(&in_group, &f.causes, Cause::label)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = &f.contact;
    let rows = vec![
        (
            field_label("number").to_owned(),
            f.number.clone().unwrap_or_default(),
        ),
        (field_label("edition").to_owned(), edition_label(f.edition)),
        (
            field_label("reported_at").to_owned(),
            print_time(&f.reported_at),
        ),
        (
            field_label("contact").to_owned(),
            ja(
                "print.report_contact",
                &[
                    ("organization", &c.organization),
                    ("department", &c.department),
                    ("person", &c.person),
                    ("phone", &c.phone),
                    ("fax", &c.fax),
                    ("email", &c.email),
                ],
            ),
        ),
        (
            field_label("severity").to_owned(),
            marks(
                Severity::ALL,
                &f.severity.into_iter().collect::<Vec<_>>(),
                Severity::label,
            ),
        ),
        (
            field_label("tlp").to_owned(),
            marks(Tlp::ALL, &[f.tlp], Tlp::label),
        ),
        (
            format!("① {}", field_label("event")),
            marks(
                EventClass::ALL,
                &f.event.into_iter().collect::<Vec<_>>(),
                EventClass::label,
            ),
        ),
        (format!("② {}", field_label("causes")), causes),
        (
            field_label("has_attachment").to_owned(),
            yn(Some(f.has_attachment)),
        ),
        (
            format!("③ {}", field_label("sector")),
            t.sector_name.clone(),
        ),
        (
            format!("④ {}", field_label("operator_name")),
            opt(&f.operator_name),
        ),
        (
            format!("⑤ {}", field_label("summary")),
            ja(
                "print.report_summary",
                &[
                    (
                        "occurred",
                        &s.occurred_at.as_ref().map(print_time).unwrap_or_default(),
                    ),
                    (
                        "note",
                        &s.occurred_at_note
                            .map(|n| format!("（{n}）"))
                            .unwrap_or_default(),
                    ),
                    (
                        "discovered",
                        &s.discovered_at.as_ref().map(print_time).unwrap_or_default(),
                    ),
                    ("system", &opt(&s.affected_system)),
                    ("description", &opt(&s.description)),
                ],
            ),
        ),
        (
            format!("⑥ {}", field_label("impact")),
            ja(
                "print.report_impact",
                &[
                    ("sml", &yn(i.sml_deviation)),
                    (
                        "status",
                        &marks(
                            SystemStatus::ALL,
                            &i.system_status.into_iter().collect::<Vec<_>>(),
                            SystemStatus::label,
                        ),
                    ),
                    ("spillover", &yn(i.spillover_possible)),
                    ("note", &opt(&i.note)),
                ],
            ),
        ),
        (
            format!("⑧ {}", field_label("outlook")),
            marks(
                Outlook::ALL,
                &f.outlook.into_iter().collect::<Vec<_>>(),
                Outlook::label,
            ),
        ),
        (
            field_label("external").to_owned(),
            ja(
                "print.report_external",
                &[
                    (
                        "press",
                        &marks(
                            PressState::ALL,
                            &e.press.into_iter().collect::<Vec<_>>(),
                            PressState::label,
                        ),
                    ),
                    ("press_note", &opt(&e.press_note)),
                    ("contacts", &opt(&e.other_contacts)),
                ],
            ),
        ),
        (format!("⑨ {}", field_label("lessons")), opt(&f.lessons)),
        (
            field_label("basis").to_owned(),
            marks(
                ReportBasis::ALL,
                &f.basis.into_iter().collect::<Vec<_>>(),
                ReportBasis::label,
            ),
        ),
    ];
    Some(PrintTpl {
        l: JA,
        back_url: format!("/reports/{}", t.id),
        form_title: format!("{}{}", drill_prefix(t.exercise), t_ja("report.form_title")),
        heading: heading_of(t),
        tlp: t.tlp,
        tlp_note: f.tlp_note.clone(),
        rows,
        timeline: f
            .timeline
            .iter()
            .map(|r| (print_time(&r.at), r.text.clone()))
            .collect(),
    })
}
