//! The register page (with the process steps, review tasks and heat maps) and its CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::risk::{Asset, CriteriaView, Issue, ReviewView, RiskView};
use kyoyu_domain::risk::library::{event_template, event_templates};
use kyoyu_domain::risk::{AssetKind, Damage, IssueSource, Likelihood, Priority, RiskState};
use kyoyu_domain::{Cause, EventClass};
use serde::Deserialize;

use super::heatmap::heat_map;
use super::{Line, inherent, line, residual};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{Opt, OptGroup, opts, show_time, t_ja};
use crate::ui::{Chrome, JA, L, core_error_page, render};

/// What the register page and the report read.
pub(super) struct Register {
    pub criteria: CriteriaView,
    pub risks: Vec<RiskView>,
    pub assets: Vec<Asset>,
    pub issues: Vec<Issue>,
    pub reviews: Vec<ReviewView>,
}

pub(super) async fn load(state: &AppState, auth: &PageAuth) -> Result<Register, Response> {
    let core = &state.core;
    let s = &auth.session;
    let run = async {
        Ok::<_, kyoyu_core::CoreError>(Register {
            criteria: core.risk_criteria(s).await?,
            risks: core.risks(s).await?,
            assets: core.risk_assets(s).await?,
            issues: core.risk_issues(s).await?,
            reviews: core.risk_reviews(s, false).await?,
        })
    };
    run.await.map_err(core_error_page)
}

/// One step of the process (図表2) with where the register stands in it.
pub struct Step {
    pub name: &'static str,
    pub status: String,
    pub todo: bool,
}

fn steps(r: &Register) -> Vec<Step> {
    let count = |s: RiskState| r.risks.iter().filter(|x| x.state == s).count();
    let n = |key: &str, v: usize| format!("{}: {v}", t_ja(key));
    let context = match r.criteria.version {
        Some(v) => format!(
            "{} / {}",
            kyoyu_domain::messages::ja("risk.criteria_version", &[("version", &v.to_string())]),
            n("risk.assets", r.assets.len())
        ),
        None => t_ja("risk.no_criteria_short").to_owned(),
    };
    vec![
        Step {
            name: t_ja("risk.step_context"),
            status: context,
            todo: r.criteria.version.is_none() || r.assets.is_empty(),
        },
        Step {
            name: t_ja("risk.step_identify"),
            status: format!(
                "{} / {}",
                n("risk.issues", r.issues.len()),
                n("risk.risks", r.risks.len())
            ),
            todo: r.risks.is_empty(),
        },
        Step {
            name: t_ja("risk.step_analyse"),
            status: n(
                "risk.impact_written",
                r.risks.iter().filter(|x| !x.impact.is_empty()).count(),
            ),
            todo: r.risks.iter().any(|x| x.impact.is_empty()),
        },
        Step {
            name: t_ja("risk.step_evaluate"),
            status: n(
                "risk_state.awaiting_decision",
                count(RiskState::AwaitingDecision),
            ),
            todo: count(RiskState::AwaitingDecision) > 0,
        },
        Step {
            name: t_ja("risk.step_treat"),
            status: format!(
                "{} / {}",
                n("risk_state.to_treat", count(RiskState::ToTreat)),
                n("risk_state.treating", count(RiskState::Treating))
            ),
            todo: count(RiskState::ToTreat) + count(RiskState::Treating) > 0,
        },
        Step {
            name: t_ja("risk.step_monitor"),
            status: format!(
                "{} / {} / {}",
                n("risk.open_reviews", r.reviews.len()),
                n(
                    "risk.flag_reevaluate",
                    r.risks.iter().filter(|x| x.needs_reevaluation).count()
                ),
                n(
                    "risk.flag_overdue",
                    r.risks.iter().map(|x| x.overdue_actions).sum()
                )
            ),
            todo: !r.reviews.is_empty()
                || r.risks
                    .iter()
                    .any(|x| x.needs_reevaluation || x.overdue_actions > 0),
        },
    ]
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisterParams {
    pub state: String,
    pub priority: String,
    /// `priority` (default), `level`, `updated`.
    pub sort: String,
    pub done: String,
    /// A starter-library template to fill the new-risk form with.
    pub template: String,
}

#[derive(Template)]
#[template(path = "risk_register.html")]
struct RegisterTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    criteria_line: String,
    steps: Vec<Step>,
    reviews: Vec<ReviewLine>,
    inherent_map: String,
    residual_map: String,
    lines: Vec<Line>,
    total: usize,
    states: Vec<(String, String, bool)>,
    priorities: Vec<(String, String, bool)>,
    sorts: Vec<(String, String, bool)>,
    csv: String,
    // The new-risk form, filled from a template when one was chosen.
    templates: Vec<(String, String, String)>,
    pre_title: String,
    pre_result: bool,
    pre_consequence: String,
    events: Vec<(Opt, bool)>,
    causes: Vec<(Opt, bool)>,
    damages: Vec<Opt>,
    likelihoods: Vec<Opt>,
    assets: Vec<(i64, String)>,
    issues: Vec<(i64, String)>,
    // The new-asset and new-issue forms.
    kinds: Vec<Opt>,
    services: Vec<OptGroup>,
    sources: Vec<Opt>,
    asset_lines: Vec<(String, String, String)>,
    issue_lines: Vec<(String, String, String)>,
}

pub struct ReviewLine {
    pub id: i64,
    pub risk_id: i64,
    pub risk_title: String,
    pub reason: String,
    pub advisory: String,
    pub opened: String,
}

pub(super) fn review_line(r: &ReviewView) -> ReviewLine {
    ReviewLine {
        id: r.id,
        risk_id: r.risk_id,
        risk_title: r.risk_title.clone(),
        reason: r.reason.label().to_owned(),
        advisory: r
            .advisory_number
            .clone()
            .or_else(|| r.advisory_id.map(|a| format!("#{a}")))
            .unwrap_or_default(),
        opened: show_time(&r.opened_at),
    }
}

fn choices(all: Vec<(String, String)>, chosen: &str) -> Vec<(String, String, bool)> {
    all.into_iter()
        .map(|(c, l)| {
            let on = c == chosen;
            (c, l, on)
        })
        .collect()
}

pub(super) fn notice_of(done: &str) -> Option<String> {
    let key = format!("risk.done_{done}");
    kyoyu_domain::messages::has(kyoyu_domain::messages::Locale::Ja, &key)
        .then(|| t_ja(&key).to_owned())
}

fn sorted(mut risks: Vec<RiskView>, p: &RegisterParams) -> Vec<RiskView> {
    risks.retain(|r| {
        (p.state.is_empty() || r.state.code() == p.state)
            && (p.priority.is_empty() || r.priority.code() == p.priority)
    });
    match p.sort.as_str() {
        "updated" => risks.sort_by(|a, b| b.updated_at.cmp(&a.updated_at)),
        "level" => risks.sort_by_key(|r| {
            let (d, l) = residual(r);
            std::cmp::Reverse((d.rank() + l.rank(), d.rank()))
        }),
        _ => risks.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.id))),
    }
    risks
}

/// `/risk`: the register.
pub async fn register(
    State(state): State<AppState>,
    auth: PageAuth,
    params: Result<Query<RegisterParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let r = match load(&state, &auth).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let current = r.criteria.current.as_ref().map(|c| &c.criteria);
    let criteria_line = match &r.criteria.current {
        Some(c) => kyoyu_domain::messages::ja(
            "risk.criteria_in_force",
            &[
                ("version", &c.version.to_string()),
                ("at", &show_time(&c.created_at)),
            ],
        ),
        None => t_ja("risk.no_criteria").to_owned(),
    };
    let inherent_levels: Vec<_> = r.risks.iter().map(inherent).collect();
    let residual_levels: Vec<_> = r.risks.iter().map(residual).collect();
    let total = r.risks.len();
    let steps = steps(&r);
    let lines = sorted(r.risks.clone(), &p).iter().map(line).collect();
    let pre = event_template(&p.template);
    let tpl = RegisterTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "risk").await,
        notice: notice_of(&p.done),
        criteria_line,
        steps,
        reviews: r.reviews.iter().map(review_line).collect(),
        inherent_map: heat_map(
            "heat-inherent",
            t_ja("risk.map_inherent"),
            &inherent_levels,
            current,
        ),
        residual_map: heat_map(
            "heat-residual",
            t_ja("risk.map_residual"),
            &residual_levels,
            current,
        ),
        lines,
        total,
        states: choices(
            RiskState::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned()))
                .collect(),
            &p.state,
        ),
        priorities: choices(
            Priority::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned()))
                .collect(),
            &p.priority,
        ),
        sorts: choices(
            ["priority", "level", "updated"]
                .iter()
                .map(|s| (s.to_string(), t_ja(&format!("risk.sort_{s}")).to_owned()))
                .collect(),
            &p.sort,
        ),
        csv: "/risk/risks.csv".to_owned(),
        templates: event_templates()
            .iter()
            .map(|t| {
                (
                    format!("/risk?template={}#new-risk", t.code),
                    t.title.clone(),
                    t.origin.clone(),
                )
            })
            .collect(),
        pre_title: pre.map(|t| t.title.clone()).unwrap_or_default(),
        pre_result: pre.is_some_and(|t| t.approach == kyoyu_domain::risk::Approach::Result),
        pre_consequence: pre.map(|t| t.consequence.clone()).unwrap_or_default(),
        events: opts(EventClass::ALL, |v| v.code(), |v| v.label())
            .into_iter()
            .map(|o| {
                let on = pre.is_some_and(|t| t.event.code() == o.code);
                (o, on)
            })
            .collect(),
        causes: opts(Cause::ALL, |v| v.code(), |v| v.label())
            .into_iter()
            .map(|o| {
                let on = pre.is_some_and(|t| t.causes.iter().any(|c| c.code() == o.code));
                (o, on)
            })
            .collect(),
        damages: opts(Damage::ALL, |v| v.code(), |v| v.label()),
        likelihoods: opts(Likelihood::ALL, |v| v.code(), |v| v.label()),
        assets: r.assets.iter().map(|a| (a.id, a.name.clone())).collect(),
        issues: r.issues.iter().map(|i| (i.id, i.title.clone())).collect(),
        kinds: opts(AssetKind::ALL, |v| v.code(), |v| v.label()),
        services: crate::ui::widgets::service_groups(&state),
        sources: opts(IssueSource::ALL, |v| v.code(), |v| v.label()),
        asset_lines: r
            .assets
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.kind.label().to_owned(),
                    a.services
                        .iter()
                        .map(|s| s.name.clone())
                        .collect::<Vec<_>>()
                        .join(t_ja("common.list_separator")),
                )
            })
            .collect(),
        issue_lines: r
            .issues
            .iter()
            .map(|i| {
                (
                    i.title.clone(),
                    i.source.label().to_owned(),
                    i.advisory_id.map(|a| format!("#{a}")).unwrap_or_default(),
                )
            })
            .collect(),
    };
    render(StatusCode::OK, &tpl)
}

/// `/risk/risks.csv`: the register as CSV (UTF-8 with BOM, for Excel).
pub async fn register_csv(State(state): State<AppState>, auth: PageAuth) -> Response {
    crate::ui::documents::answer(state.core.risk_register_csv(&auth.session).await)
}

/// `/risk/risks.xlsx`: the register as an Excel sheet.
pub async fn register_xlsx(State(state): State<AppState>, auth: PageAuth) -> Response {
    crate::ui::documents::answer(state.core.risk_register_xlsx(&auth.session).await)
}
