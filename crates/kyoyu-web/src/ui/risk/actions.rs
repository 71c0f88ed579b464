//! The forms of the risk pages. Each turns what the page posted into the API's own request
//! (so a page and a script are judged by the same rules), checks the CSRF token, and answers
//! with the page it came from and a notice — or the error page that names the field.

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::{Form, FormRejection};
use kyoyu_domain::AdvisoryId;
use kyoyu_domain::risk::{Damage, Likelihood};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{bad_request_page, check_csrf, path_id, t_ja};
use crate::ui::{core_error_page, error_page};

type Posted<T> = Result<Form<T>, FormRejection>;

/// The API request a page's fields make; a field a page cannot have produced is refused as
/// the API refuses it.
fn request<T: DeserializeOwned>(v: Value) -> Result<T, Response> {
    serde_json::from_value(v)
        .map_err(|_| error_page(StatusCode::UNPROCESSABLE_ENTITY, t_ja("risk.form_invalid")))
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(s: &str) -> Value {
    given(s)
        .map(|n| n.parse::<i64>().map_or(Value::String(n), Value::from))
        .unwrap_or(Value::Null)
}

fn ids(v: &[String]) -> Vec<Value> {
    v.iter().map(|s| number(s)).collect()
}

/// Keeps only the members that have a value.
fn compact(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if !v.is_null() {
            m.insert(k.to_owned(), v);
        }
    }
    Value::Object(m)
}

fn opt_text(s: &str) -> Value {
    given(s).map(Value::String).unwrap_or(Value::Null)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RiskForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    title: String,
    approach: String,
    event: String,
    causes: Vec<String>,
    damage: String,
    likelihood: String,
    frequency_per_year: String,
    consequence: String,
    impact: String,
    asset_ids: Vec<String>,
    issue_ids: Vec<String>,
    review_on: String,
}

/// A new risk from the register page.
pub async fn create(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Posted<RiskForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let req = match request(compact(vec![
        ("title", json!(f.title)),
        ("approach", opt_text(&f.approach)),
        ("event", opt_text(&f.event)),
        ("causes", json!(f.causes)),
        ("damage", opt_text(&f.damage)),
        ("likelihood", opt_text(&f.likelihood)),
        ("frequency_per_year", number(&f.frequency_per_year)),
        ("consequence", json!(f.consequence)),
        ("impact", json!(f.impact)),
        ("asset_ids", Value::Array(ids(&f.asset_ids))),
        ("issue_ids", Value::Array(ids(&f.issue_ids))),
        ("review_on", opt_text(&f.review_on)),
    ])) {
        Ok(r) => r,
        Err(page) => return page,
    };
    match state.core.create_risk(&auth.session, req).await {
        Ok(r) => Redirect::to(&format!("/risk/risks/{}?done=created", r.id)).into_response(),
        Err(e) => core_error_page(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpdateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// Which step's form: `analysis`, `reevaluate`, `judgement`, `override`, `treatment`,
    /// `residual`, `dates`, `actions`.
    action: String,
    decision: String,
    reason: String,
    option: String,
    severity: String,
    feasibility: String,
    spread: String,
    laws: String,
    business: String,
    social: String,
    cost_benefit: String,
    action_title: String,
    action_owner: String,
    action_due: String,
    requirements: String,
    damage: String,
    likelihood: String,
    frequency_per_year: String,
    priority: String,
    watch_on: String,
    review_on: String,
    /// The state of each action of the plan, in the plan's order.
    action_states: Vec<String>,
}

/// The plan's actions with the states the page chose.
async fn actions_patch(
    state: &AppState,
    auth: &PageAuth,
    id: i64,
    f: &UpdateForm,
) -> Result<Value, Response> {
    let r = state
        .core
        .risk(&auth.session, id)
        .await
        .map_err(core_error_page)?;
    let actions: Vec<Value> = r
        .treatment
        .map(|t| t.actions)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let mut v = json!(a);
            if let Some(s) = f.action_states.get(i).and_then(|s| given(s)) {
                v["state"] = json!(s);
            }
            v
        })
        .collect();
    Ok(json!({ "actions": actions }))
}

fn patch_of(f: &UpdateForm) -> Option<Value> {
    let verdict = || json!({ "decision": f.decision, "reason": f.reason });
    Some(match f.action.as_str() {
        "analysis" => compact(vec![
            ("damage", opt_text(&f.damage)),
            ("likelihood", opt_text(&f.likelihood)),
            ("frequency_per_year", number(&f.frequency_per_year)),
        ]),
        "reevaluate" => json!({ "reevaluate": true }),
        "judgement" => json!({ "judgement": verdict() }),
        "override" => json!({ "override": verdict() }),
        "treatment" => {
            let actions: Vec<Value> = given(&f.action_title)
                .map(|t| {
                    vec![compact(vec![
                        ("title", json!(t)),
                        ("owner", json!(f.action_owner)),
                        ("due_on", opt_text(&f.action_due)),
                    ])]
                })
                .unwrap_or_default();
            compact(vec![
                (
                    "treatment",
                    json!({
                        "option": f.option,
                        "considerations": {
                            "severity": f.severity, "feasibility": f.feasibility, "spread": f.spread,
                            "laws": f.laws, "business": f.business, "social": f.social,
                            "cost_benefit": f.cost_benefit,
                        },
                        "actions": actions,
                        "requirements": lines(&f.requirements),
                    }),
                ),
                ("watch_on", opt_text(&f.watch_on)),
            ])
        }
        "residual" => json!({ "residual": { "damage": f.damage, "likelihood": f.likelihood } }),
        "dates" => compact(vec![
            ("priority", opt_text(&f.priority)),
            ("watch_on", opt_text(&f.watch_on)),
            ("review_on", opt_text(&f.review_on)),
        ]),
        _ => return None,
    })
}

/// A step's form on a risk's page.
pub async fn update(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Posted<UpdateForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let patch = if f.action == "actions" {
        match actions_patch(&state, &auth, id, &f).await {
            Ok(p) => p,
            Err(page) => return page,
        }
    } else {
        let Some(patch) = patch_of(&f) else {
            return bad_request_page();
        };
        patch
    };
    let req = match request(patch) {
        Ok(r) => r,
        Err(page) => return page,
    };
    match state.core.update_risk(&auth.session, id, req).await {
        Ok(_) => Redirect::to(&format!("/risk/risks/{id}?done={}", f.action)).into_response(),
        Err(e) => core_error_page(e),
    }
}

/// The organisation's words for the levels, when the page gave any (all six are then needed,
/// and the API names the one missing).
fn labels_of<'a>(get: &impl Fn(&str) -> &'a str) -> Value {
    let axis = |name: &str| -> Vec<String> {
        (0..3)
            .map(|i| get(&format!("label_{name}_{i}")).trim().to_owned())
            .collect()
    };
    let (damage, likelihood) = (axis("damage"), axis("likelihood"));
    if damage.iter().chain(&likelihood).all(String::is_empty) {
        return Value::Null;
    }
    json!({ "damage": damage, "likelihood": likelihood })
}

/// A new version of the criteria from the criteria page.
pub async fn add_criteria(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Posted<HashMap<String, String>>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if let Err(r) = check_csrf(&auth, get("_csrf")) {
        return r;
    }
    let mut matrix = Map::new();
    for d in Damage::ALL {
        let mut row = Map::new();
        for l in Likelihood::ALL {
            row.insert(
                l.code().to_owned(),
                json!(get(&format!("cell_{}_{}", d.code(), l.code()))),
            );
        }
        matrix.insert(d.code().to_owned(), Value::Object(row));
    }
    let req = match request(compact(vec![
        ("evaluation", json!(lines(get("evaluation")))),
        ("impact", json!(lines(get("impact")))),
        ("acceptance", json!(lines(get("acceptance")))),
        ("matrix", Value::Object(matrix)),
        ("treat_damage_from", opt_text(get("damage_from"))),
        ("treat_likelihood_from", opt_text(get("likelihood_from"))),
        ("treat_frequency_from", number(get("frequency_from"))),
        ("review_on", opt_text(get("review_on"))),
        ("labels", labels_of(&get)),
        (
            "colours",
            match (given(get("colour_treat")), given(get("colour_accept"))) {
                (Some(t), Some(a)) => json!({ "treat": t, "accept": a }),
                _ => Value::Null,
            },
        ),
    ])) {
        Ok(r) => r,
        Err(page) => return page,
    };
    match state.core.add_risk_criteria(&auth.session, req).await {
        Ok(_) => Redirect::to("/risk/criteria?done=criteria").into_response(),
        Err(e) => core_error_page(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssetForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    kind: String,
    services: Vec<String>,
    description: String,
}

pub async fn add_asset(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Posted<AssetForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let req = match request(compact(vec![
        ("name", json!(f.name)),
        ("kind", opt_text(&f.kind)),
        ("services", json!(f.services)),
        ("description", json!(f.description)),
    ])) {
        Ok(r) => r,
        Err(page) => return page,
    };
    match state.core.add_risk_asset(&auth.session, req).await {
        Ok(_) => Redirect::to("/risk?done=asset").into_response(),
        Err(e) => core_error_page(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    title: String,
    source: String,
    advisory_id: String,
    note: String,
}

pub async fn add_issue(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Posted<IssueForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let req = match request(compact(vec![
        ("title", json!(f.title)),
        ("source", opt_text(&f.source)),
        ("advisory_id", number(&f.advisory_id)),
        ("note", json!(f.note)),
    ])) {
        Ok(r) => r,
        Err(page) => return page,
    };
    match state.core.add_risk_issue(&auth.session, req).await {
        Ok(_) => Redirect::to("/risk?done=issue").into_response(),
        Err(e) => core_error_page(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    advisory_id: String,
    note: String,
}

/// Links an advisory (by its number in kyoyu) to the risk.
pub async fn link_advisory(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Posted<NoteForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Ok(advisory) = f.advisory_id.trim().parse::<i64>() else {
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            t_ja("risk.advisory_id_number"),
        );
    };
    match state
        .core
        .link_risk_advisory(&auth.session, id, AdvisoryId(advisory))
        .await
    {
        Ok(_) => Redirect::to(&format!("/risk/risks/{id}?done=linked")).into_response(),
        Err(e) => core_error_page(e),
    }
}

/// Closes a review task; back to the risk.
pub async fn close_review(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Posted<NoteForm>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state
        .core
        .close_risk_review(&auth.session, id, &f.note)
        .await
    {
        Ok(v) => {
            Redirect::to(&format!("/risk/risks/{}?done=review_closed", v.risk_id)).into_response()
        }
        Err(e) => core_error_page(e),
    }
}
