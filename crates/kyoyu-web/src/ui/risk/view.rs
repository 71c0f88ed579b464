//! One risk's page: its facts, plan, residual and rounds, its history in words, its review
//! tasks and the form of each step.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::risk::RiskView;
use kyoyu_domain::risk::{ActionState, Damage, Likelihood, RiskDecision, Treatment};

use super::pages::{RegisterParams, ReviewLine, notice_of, review_line};
use super::{Line, line};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{Opt, opts, path_id, show_time, t_ja};
use crate::ui::{Chrome, JA, L, core_error_page, render};

#[derive(Template)]
#[template(path = "risk_view.html")]
struct RiskTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    r: RiskView,
    line: Line,
    has_criteria: bool,
    assets: Vec<String>,
    causes: Vec<String>,
    history: Vec<(String, String, String)>,
    reviews: Vec<ReviewLine>,
    treatments: Vec<Opt>,
    damages: Vec<Opt>,
    likelihoods: Vec<Opt>,
    treatment: String,
    decisions: Vec<Opt>,
    action_states: Vec<Opt>,
}

/// A history entry in words: its kind, and what it recorded.
fn history_line(h: &kyoyu_core::risk::HistoryEntry) -> (String, String, String) {
    let key = format!("risk.history_{}", h.kind);
    let kind = if kyoyu_domain::messages::has(kyoyu_domain::messages::Locale::Ja, &key) {
        t_ja(&key).to_owned()
    } else {
        h.kind.clone()
    };
    let e = h
        .detail
        .get("evaluation")
        .or_else(|| h.detail.get("residual").and_then(|r| r.get("evaluation")));
    let mut what = Vec::new();
    if let Some(e) = e {
        let code = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
        if let Some(d) = RiskDecision::from_code(code("decision")) {
            what.push(d.label().to_owned());
        }
        if let Some(r) = kyoyu_domain::risk::DecisionRule::from_code(code("rule")) {
            what.push(r.label().to_owned());
        }
        if let Some(v) = e.get("criteria_version").and_then(|v| v.as_i64()) {
            what.push(kyoyu_domain::messages::ja(
                "risk.criteria_version",
                &[("version", &v.to_string())],
            ));
        }
        if let Some(reason) = e.get("reason").and_then(|v| v.as_str()) {
            what.push(reason.to_owned());
        }
    }
    let level = |v: &serde_json::Value| {
        let d = v
            .get("damage")
            .and_then(|x| x.as_str())
            .and_then(Damage::from_code);
        let l = v
            .get("likelihood")
            .and_then(|x| x.as_str())
            .and_then(Likelihood::from_code);
        d.zip(l)
            .map(|(d, l)| format!("{} × {}", d.label(), l.label()))
    };
    if let Some(x) = level(&h.detail).or_else(|| h.detail.get("residual").and_then(level)) {
        what.insert(0, x);
    }
    if let Some(t) = h
        .detail
        .get("treatment")
        .and_then(|t| t.get("option"))
        .and_then(|o| o.as_str())
        .and_then(Treatment::from_code)
    {
        what.push(t.label().to_owned());
    }
    if let Some(n) = h.detail.get("note").and_then(|v| v.as_str()) {
        what.push(n.to_owned());
    }
    (show_time(&h.at), kind, what.join(" / "))
}

/// `/risk/risks/{id}`: one risk, its history and the forms of each step.
pub async fn risk_page(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    params: Result<Query<RegisterParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let s = &auth.session;
    let r = match state.core.risk(s, id).await {
        Ok(r) => r,
        Err(e) => return core_error_page(e),
    };
    let (criteria, assets, reviews) = match (
        state.core.risk_criteria(s).await,
        state.core.risk_assets(s).await,
        state.core.risk_reviews(s, true).await,
    ) {
        (Ok(c), Ok(a), Ok(v)) => (c, a, v),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return core_error_page(e),
    };
    let history = r
        .history
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(history_line)
        .collect();
    let tpl = RiskTpl {
        l: JA,
        chrome: Chrome::for_session(&state, s, "risk").await,
        notice: notice_of(&params.map(|Query(p)| p.done).unwrap_or_default()),
        line: line(&r),
        has_criteria: criteria.version.is_some(),
        assets: assets
            .iter()
            .filter(|a| r.asset_ids.contains(&a.id))
            .map(|a| a.name.clone())
            .collect(),
        causes: r.causes.iter().map(|c| c.label().to_owned()).collect(),
        history,
        reviews: reviews
            .iter()
            .filter(|v| v.risk_id == id && v.closed_at.is_none())
            .map(review_line)
            .collect(),
        treatments: opts(Treatment::ALL, |v| v.code(), |v| v.label()),
        damages: opts(Damage::ALL, |v| v.code(), |v| v.label()),
        likelihoods: opts(Likelihood::ALL, |v| v.code(), |v| v.label()),
        treatment: r
            .treatment
            .as_ref()
            .map(|t| t.option.label().to_owned())
            .unwrap_or_default(),
        decisions: [RiskDecision::Treat, RiskDecision::Accept]
            .iter()
            .map(|d| Opt {
                code: d.code().to_owned(),
                label: d.label().to_owned(),
                help: String::new(),
            })
            .collect(),
        action_states: opts(ActionState::ALL, |v| v.code(), |v| v.label()),
        r,
    };
    render(StatusCode::OK, &tpl)
}
