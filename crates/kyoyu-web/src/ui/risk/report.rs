//! The report for management (経営層), to print.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::risk::RiskView;
use kyoyu_domain::risk::RiskState;

use super::heatmap::heat_map;
use super::pages::{ReviewLine, load, review_line};
use super::{Line, inherent, line, residual};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{show_time, t_ja};
use crate::ui::{Chrome, JA, L, render};

#[derive(Template)]
#[template(path = "risk_report.html")]
struct ReportTpl {
    l: L,
    chrome: Chrome,
    org: String,
    printed: String,
    criteria_line: String,
    awaiting: Vec<Line>,
    to_treat: Vec<Line>,
    rare: Vec<Line>,
    overridden: Vec<(Line, String)>,
    accepted: Vec<Line>,
    requirements: Vec<(String, String)>,
    reviews: Vec<ReviewLine>,
    inherent_map: String,
    residual_map: String,
}

/// `/risk/report`: the report for management (経営層), to print: what awaits their decision
/// first, then what is to be treated, what was decided against the criteria, what is accepted,
/// and the security requirements the plans yield.
pub async fn report(State(state): State<AppState>, auth: PageAuth) -> Response {
    let r = match load(&state, &auth).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let current = r.criteria.current.as_ref().map(|c| &c.criteria);
    let mut risks = r.risks.clone();
    risks.sort_by_key(|x| (x.priority, std::cmp::Reverse(x.id)));
    let pick = |f: &dyn Fn(&RiskView) -> bool| risks.iter().filter(|x| f(x)).map(line).collect();
    let chrome = Chrome::for_session(&state, &auth.session, "risk").await;
    let tpl = ReportTpl {
        l: JA,
        org: chrome
            .user
            .as_ref()
            .and_then(|u| u.org.clone())
            .unwrap_or_default(),
        printed: show_time(&state.core.now().to_rfc3339()),
        criteria_line: match &r.criteria.current {
            Some(c) => kyoyu_domain::messages::ja(
                "risk.criteria_in_force",
                &[
                    ("version", &c.version.to_string()),
                    ("at", &show_time(&c.created_at)),
                ],
            ),
            None => t_ja("risk.no_criteria").to_owned(),
        },
        awaiting: pick(&|x| x.state == RiskState::AwaitingDecision),
        to_treat: pick(&|x| matches!(x.state, RiskState::ToTreat | RiskState::Treating)),
        rare: pick(&|x| x.rare_and_severe),
        overridden: risks
            .iter()
            .filter(|x| x.decision_rule == kyoyu_domain::risk::DecisionRule::Override)
            .map(|x| {
                let why = x
                    .residual
                    .as_ref()
                    .map_or(&x.evaluation, |v| &v.evaluation)
                    .reason
                    .clone()
                    .unwrap_or_default();
                (line(x), why)
            })
            .collect(),
        accepted: pick(&|x| matches!(x.state, RiskState::Accepted | RiskState::Retained)),
        requirements: risks
            .iter()
            .flat_map(|x| {
                kyoyu_core::risk::requirements(x)
                    .into_iter()
                    .map(|q| (q, x.title.clone()))
            })
            .collect(),
        reviews: r.reviews.iter().map(review_line).collect(),
        inherent_map: heat_map(
            "heat-inherent",
            t_ja("risk.map_inherent"),
            &r.risks.iter().map(inherent).collect::<Vec<_>>(),
            current,
        ),
        residual_map: heat_map(
            "heat-residual",
            t_ja("risk.map_residual"),
            &r.risks.iter().map(residual).collect::<Vec<_>>(),
            current,
        ),
        chrome,
    };
    render(StatusCode::OK, &tpl)
}
