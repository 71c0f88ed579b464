//! The printable view of an advisory, laid out like the paper form of 図7/図8.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::advisory::{by_ministry, field_label};
use kyoyu_domain::messages::ja;
use kyoyu_domain::{Severity, Tlp};

use kyoyu_core::advisories::AdvisoryView;

use super::view_or_page;
use crate::AppState;
use crate::auth::MaybePageAuth;
use crate::ui::reports::PrintTpl;
use crate::ui::widgets::{drill_prefix, edition_label, marks, print_time, t_ja, yes_no_marks};
use crate::ui::{JA, render};

fn label(field: &str) -> String {
    field_label(field).to_owned()
}

/// The printable view with ■/□ marks, like the paper form of 図7 (public for White ones).
pub async fn print(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(StatusCode::OK, &advisory_print(&state, &v))
}

/// The printable form of an advisory as the caller sees it.
pub fn advisory_print(state: &AppState, v: &AdvisoryView) -> PrintTpl {
    let f = &v.form;
    let reference = state.core.reference();
    let recipients = by_ministry(&f.recipients)
        .into_iter()
        .map(|(m, secs)| {
            format!(
                "{}（{}）",
                reference
                    .ministry(&m)
                    .map(|x| x.name_ja.clone())
                    .unwrap_or(m),
                secs.iter()
                    .map(|s| reference.sector_name(s))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let rows = vec![
        (label("number"), v.number.clone().unwrap_or_default()),
        (label("edition"), edition_label(f.edition)),
        (label("provided_at"), print_time(&f.provided_at)),
        (label("recipients"), recipients),
        (
            label("severity"),
            marks(
                Severity::ALL,
                &f.severity.into_iter().collect::<Vec<_>>(),
                Severity::label,
            ),
        ),
        (label("tlp"), marks(Tlp::ALL, &[f.tlp], Tlp::label)),
        (
            label("has_attachment"),
            yes_no_marks(Some(f.has_attachment)),
        ),
        (format!("① {}", label("overview")), f.overview.clone()),
        (format!("② {}", label("target")), f.target.clone()),
        (
            format!("③ {}", label("countermeasures")),
            f.countermeasures.clone(),
        ),
        (format!("④ {}", label("other")), f.other.clone()),
        (
            label("contact"),
            ja(
                "print.advisory_contact",
                &[
                    ("person", &f.contact.person),
                    ("phone", &f.contact.phone),
                    ("fax", &f.contact.fax),
                    ("email", &f.contact.email),
                ],
            ),
        ),
    ];
    PrintTpl {
        l: JA,
        back_url: format!("/advisories/{}", v.id),
        form_title: format!(
            "{}{}",
            drill_prefix(v.exercise),
            t_ja("advisory.form_title")
        ),
        heading: v.title.clone(),
        tlp_note: f.tlp_note.clone(),
        tlp: v.tlp,
        rows,
        timeline: Vec::new(),
    }
}
