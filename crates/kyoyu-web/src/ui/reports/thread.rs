//! The thread page: every edition the visitor's view shows, section by section in the order of
//! 図4, with what changed since the previous edition, the route, the attachments and the
//! actions the route rules allow.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::reports::ReportThread;
use kyoyu_domain::AttachmentId;
use kyoyu_domain::messages::fill;
use kyoyu_domain::reference::Metric;
use kyoyu_domain::report::{ImpactFigures, ReportForm, SmlCheck, field_label, thousands};
use serde::Deserialize;

use super::form::thread_or_page;
use crate::AppState;
use crate::auth::MaybePageAuth;
use crate::ui::report_form::jst;
use crate::ui::widgets::{Opt, drill_prefix, show_time, t_ja, waited, when, yes_no};
use crate::ui::{Chrome, JA, L, Visitor, render};

pub struct EditionBox {
    pub edition: u32,
    pub number: Option<String>,
    pub draft: bool,
    pub meta: String,
    pub changed: String,
    pub earlier_versions: usize,
    pub versions_note: String,
    pub sections: Vec<Section>,
}

pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

pub struct HopLine {
    pub edition: u32,
    pub from: String,
    pub to: String,
    pub at: String,
    pub tlp: String,
    pub anonymized: bool,
}

pub struct AttachmentLine {
    pub id: AttachmentId,
    pub name: String,
    pub kind: String,
    pub size: String,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
}

#[derive(Template)]
#[template(path = "report_thread.html")]
struct ThreadTpl {
    l: L,
    chrome: Chrome,
    /// This server renders PDFs (headless Chromium is installed).
    pdf: bool,
    heading: String,
    notice: Option<String>,
    error: Option<String>,
    t: ReportThread,
    tlp: Opt,
    tlp_note: String,
    additions: String,
    updated_at: String,
    waiting: Option<String>,
    editions: Vec<EditionBox>,
    timeline: Vec<(String, String)>,
    hops: Vec<HopLine>,
    attachments: Vec<AttachmentLine>,
    sample_note: String,
    /// NISC may start an advisory with this numbered report as its source.
    advise_from: Option<String>,
}

/// The form as labelled rows, section by section in the order of 図4; empty fields left out.
pub fn sections(f: &ReportForm, sector_name: &str, sml: Option<&SmlCheck>) -> Vec<Section> {
    let mut out = Vec::new();
    let mut push = |title: &str, rows: Vec<(&str, String)>| {
        let rows: Vec<(String, String)> = rows
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        if !rows.is_empty() {
            out.push(Section {
                title: title.to_owned(),
                rows,
            });
        }
    };
    let c = &f.contact;
    push(
        t_ja("report.sec_header"),
        vec![
            (
                field_label("reported_at"),
                f.reported_at
                    .with_timezone(&jst())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ),
            (
                field_label("contact"),
                [&c.organization, &c.department, &c.person]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ／ "),
            ),
            (field_label("contact.phone"), c.phone.clone()),
            (field_label("contact.fax"), c.fax.clone()),
            (field_label("contact.email"), c.email.clone()),
            (
                field_label("severity"),
                f.severity.map(|s| s.label().to_owned()).unwrap_or_default(),
            ),
            (
                field_label("has_attachment"),
                yes_no(Some(f.has_attachment)),
            ),
            (
                field_label("basis"),
                f.basis.map(|b| b.label().to_owned()).unwrap_or_default(),
            ),
        ],
    );
    push(
        &format!("① {}", field_label("event")),
        vec![(
            field_label("event"),
            f.event.map(|e| e.label().to_owned()).unwrap_or_default(),
        )],
    );
    push(
        &format!("② {}", field_label("causes")),
        vec![(
            field_label("causes"),
            f.causes
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("、"),
        )],
    );
    push(
        &format!(
            "③ {} ／ ④ {}",
            field_label("sector"),
            field_label("operator_name")
        ),
        vec![
            (field_label("sector"), sector_name.to_owned()),
            (
                field_label("operator_name"),
                f.operator_name.clone().unwrap_or_default(),
            ),
        ],
    );
    let s = f.summary.clone().unwrap_or_default();
    push(
        &format!("⑤ {}", field_label("summary")),
        vec![
            (
                t_ja("report.occurred_at"),
                format!(
                    "{}{}",
                    when(&s.occurred_at),
                    s.occurred_at_note
                        .map(|n| format!("（{n}）"))
                        .unwrap_or_default()
                ),
            ),
            (t_ja("report.discovered_at"), when(&s.discovered_at)),
            (
                t_ja("report.affected_system"),
                s.affected_system.unwrap_or_default(),
            ),
            (
                t_ja("report.description"),
                s.description.unwrap_or_default(),
            ),
        ],
    );
    let i = f.impact.clone().unwrap_or_default();
    push(
        &format!("⑥ {}", field_label("impact")),
        vec![
            (t_ja("report.sml_deviation"), yes_no(i.sml_deviation)),
            (
                t_ja("sml.service"),
                sml.map(|c| c.service_name.clone())
                    .or(i.service.clone())
                    .unwrap_or_default(),
            ),
            (t_ja("sml.figures"), figures_text(&i.figures)),
            (
                t_ja("sml.suggestion"),
                sml.map(|c| match c.agrees {
                    Some(true) => format!("{}（{}）", c.summary, t_ja("sml.agrees")),
                    Some(false) => format!("{}（{}）", c.summary, t_ja("sml.differs")),
                    None => c.summary.clone(),
                })
                .unwrap_or_default(),
            ),
            (t_ja("sml.reason"), i.sml_reason.clone().unwrap_or_default()),
            (
                t_ja("report.system_status"),
                i.system_status
                    .map(|s| s.label().to_owned())
                    .unwrap_or_default(),
            ),
            (t_ja("report.spillover"), yes_no(i.spillover_possible)),
            (t_ja("report.impact_note"), i.note.unwrap_or_default()),
        ],
    );
    push(
        &format!("⑦ {}", field_label("timeline")),
        vec![(
            field_label("timeline"),
            f.timeline
                .iter()
                .map(|r| {
                    format!(
                        "{}　{}",
                        r.at.with_timezone(&jst()).format("%m/%d %H:%M"),
                        r.text
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )],
    );
    let e = f.external.clone().unwrap_or_default();
    push(
        &format!("⑧ {}", field_label("outlook")),
        vec![
            (
                field_label("outlook"),
                f.outlook.map(|o| o.label().to_owned()).unwrap_or_default(),
            ),
            (
                t_ja("report.press"),
                format!(
                    "{}{}",
                    e.press.map(|p| p.label().to_owned()).unwrap_or_default(),
                    e.press_note.map(|n| format!("　{n}")).unwrap_or_default()
                ),
            ),
            (
                t_ja("report.other_contacts"),
                e.other_contacts.unwrap_or_default(),
            ),
        ],
    );
    push(
        &format!("⑨ {}", field_label("lessons")),
        vec![(
            field_label("lessons"),
            f.lessons.clone().unwrap_or_default(),
        )],
    );
    out
}

/// The figures of ⑥ in one line: 「影響を受けた利用者数 45000人、継続時間 180分」.
fn figures_text(figures: &ImpactFigures) -> String {
    let mut parts: Vec<String> = Metric::ALL
        .iter()
        .filter_map(|m| {
            figures.get(*m).map(|v| {
                format!(
                    "{} {}{}",
                    t_ja(&format!("sml_metric.{}", m.code())),
                    thousands(v),
                    t_ja(&format!("sml_unit.{}", m.code()))
                )
            })
        })
        .collect();
    if let Some(e) = &figures.equipment {
        parts.push(format!("{}: {e}", t_ja("sml.equipment")));
    }
    parts.join("、")
}

fn changed_labels(fields: &[String]) -> String {
    let mut labels: Vec<String> = fields
        .iter()
        .map(|f| {
            let key = f.split('[').next().unwrap_or(f);
            let l = field_label(key);
            if !l.is_empty() {
                return l.to_owned();
            }
            let top = key.split('.').next().unwrap_or(key);
            let l = field_label(top);
            if l.is_empty() {
                f.clone()
            } else {
                l.to_owned()
            }
        })
        .collect();
    labels.dedup();
    labels.join("、")
}

pub(super) fn heading_of(t: &ReportThread) -> String {
    drill_prefix(t.exercise).to_owned()
        + &match &t.number {
            Some(n) => format!("{} {n}", t_ja("nav.reports")),
            None => format!(
                "{}（{}）",
                t_ja("nav.reports"),
                t_ja("report.number_pending")
            ),
        }
}

pub(super) async fn show_thread(
    state: &AppState,
    auth: &impl Visitor,
    t: ReportThread,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let current = t.current().map(|v| v.form.clone());
    let tlp = Opt {
        code: t.tlp.code().to_owned(),
        label: t.tlp.label().to_owned(),
        help: t.tlp.meaning().to_owned(),
    };
    let editions = t
        .editions
        .iter()
        .map(|e| {
            let latest = e.latest();
            let meta = latest
                .map(|v| {
                    let who = match &v.author_name {
                        Some(n) => format!("{} {n}", v.author_org.name),
                        None => v.author_org.name.clone(),
                    };
                    let at = v
                        .sent_at
                        .as_deref()
                        .map(show_time)
                        .unwrap_or_else(|| show_time(&v.created_at));
                    format!(
                        "{who}　{at}{}",
                        if v.anonymized {
                            format!("　（{}）", t_ja("report.anonymized"))
                        } else {
                            String::new()
                        }
                    )
                })
                .unwrap_or_default();
            EditionBox {
                edition: e.edition,
                number: e.number.clone(),
                draft: e.state == "draft",
                meta,
                changed: changed_labels(&e.changed_fields),
                earlier_versions: e.versions.len().saturating_sub(1),
                versions_note: fill(
                    t_ja("report.versions_note"),
                    &[("n", &e.versions.len().to_string())],
                ),
                sections: latest
                    .map(|v| sections(&v.form, &t.sector_name, v.sml_check.as_ref()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut timeline: Vec<(chrono::DateTime<chrono::FixedOffset>, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &t.editions {
        if let Some(v) = e.latest() {
            for row in &v.form.timeline {
                if seen.insert((row.at, row.text.clone())) {
                    timeline.push((row.at, row.text.clone()));
                }
            }
        }
    }
    timeline.sort_by_key(|r| r.0);
    let hops = t
        .route
        .iter()
        .map(|h| HopLine {
            edition: h.edition,
            from: h.from.name.clone(),
            to: h.to.name.clone(),
            at: show_time(&h.at),
            tlp: h.tlp.label().to_owned(),
            anonymized: h.anonymized,
        })
        .collect();
    let attachments = t
        .attachments
        .iter()
        .map(|a| AttachmentLine {
            id: a.id,
            name: if a.kind == "sample" {
                format!("{}（zip）", a.file_name)
            } else {
                a.file_name.clone()
            },
            kind: if a.kind == "sample" {
                t_ja("report.kind_sample").to_owned()
            } else {
                t_ja("report.kind_document").to_owned()
            },
            size: format!("{} B", a.size),
            sha256: a.sha256.clone(),
            sha1: a.sha1.clone(),
            md5: a.md5.clone(),
        })
        .collect();
    let advise_from = t
        .number
        .clone()
        .filter(|_| auth.actor().has_role(kyoyu_domain::Role::Nisc));
    let tpl = ThreadTpl {
        l: JA,
        advise_from,
        chrome: Chrome::for_visitor(state, auth.session(), "reports").await,
        pdf: state.pdf.available(),
        heading: heading_of(&t),
        notice,
        error,
        tlp,
        tlp_note: current
            .as_ref()
            .map(|f| f.tlp_note.clone())
            .unwrap_or_default(),
        additions: current
            .as_ref()
            .map(|f| {
                f.tlp_additions
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default(),
        updated_at: show_time(&t.updated_at),
        waiting: t
            .waiting_since
            .as_deref()
            .map(|w| waited(w, state.core.now())),
        editions,
        timeline: timeline
            .into_iter()
            .map(|(at, text)| {
                (
                    at.with_timezone(&jst())
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    text,
                )
            })
            .collect(),
        hops,
        attachments,
        sample_note: fill(
            t_ja("report.sample_note"),
            &[("password", &state.config.sample_zip_password)],
        ),
        t,
    };
    render(StatusCode::OK, &tpl)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// A thread; without a session, a released White report (public).
pub async fn thread(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let done = q.map(|Query(q)| q.done).unwrap_or_default();
    let notice = match done.as_str() {
        "imported" => Some(t_ja("documents.imported").to_owned()),
        "imported_stix" => Some(t_ja("documents.imported_stix").to_owned()),
        d if ["sent", "drafted", "forwarded", "attached"].contains(&d) => {
            Some(t_ja(&format!("report.done_{d}")).to_owned())
        }
        _ => None,
    };
    show_thread(&state, &auth, t, notice, None).await
}
