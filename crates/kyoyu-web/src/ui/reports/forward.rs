//! Passing a report on from a page: as received, or with a completed or corrected form (and
//! anonymised at the reporter's CEPTOAR).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_domain::ReportId;
use serde::Deserialize;

use super::form::{FormPage, FormResult, failed_form, form_page, posted_form, thread_or_page};
use super::thread::show_thread;
use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use crate::ui::report_form::FormInput;
use crate::ui::widgets::{
    bad_request_page, check_csrf, edition_label, not_found_page, path_id, t_ja,
};
use crate::ui::{core_error_page, error_page};

pub async fn forward_form(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(edition) = t.actions.forward_edition else {
        return error_page(StatusCode::CONFLICT, t_ja("report.forward_none"));
    };
    let Some(form) = t
        .editions
        .iter()
        .find(|e| e.edition == edition)
        .and_then(|e| e.latest())
        .map(|v| v.form.clone())
    else {
        return not_found_page();
    };
    let page = FormPage {
        heading: format!(
            "{}（{}）",
            t_ja("report.forward_with_edit"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/forward/edit", t.id),
        edition,
        number: t
            .editions
            .iter()
            .find(|e| e.edition == edition)
            .and_then(|e| e.number.clone()),
        offer_anonymize: t.actions.can_anonymize,
        route_targets: t.actions.forward_to.clone(),
    };
    let mut input = FormInput::from_form(&form);
    if t.actions.anonymize_required {
        input.anonymize = "yes".into();
    }
    form_page(
        &state,
        &auth.session,
        page,
        input,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn forward_edit(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: FormResult,
) -> Response {
    let Ok(Form(input)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let edition = t.actions.forward_edition.unwrap_or(1);
    let page = FormPage {
        heading: format!(
            "{}（{}）",
            t_ja("report.forward_with_edit"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/forward/edit", t.id),
        edition,
        number: None,
        offer_anonymize: t.actions.can_anonymize,
        route_targets: t.actions.forward_to.clone(),
    };
    let (form, page, input) = match posted_form(&state, &auth.session, page, input, edition).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let anonymize = t.actions.can_anonymize.then_some(input.anonymize == "yes");
    match state
        .core
        .forward_report(&auth.session, t.id, &input.to, anonymize, Some(form))
        .await
    {
        Ok(_) => Redirect::to(&format!("/reports/{}?done=forwarded", t.id)).into_response(),
        Err(e) => failed_form(&state, &auth.session, page, input, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForwardInput {
    to: String,
    anonymize: Vec<String>,
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn forward(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Result<Form<ForwardInput>, axum_extra::extract::FormRejection>,
) -> Response {
    let Ok(Form(input)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let id: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let anonymize = Some(input.anonymize.iter().any(|a| a == "yes"));
    match state
        .core
        .forward_report(&auth.session, id, &input.to, anonymize, None)
        .await
    {
        Ok(_) => Redirect::to(&format!("/reports/{id}?done=forwarded")).into_response(),
        Err(e) => match state.core.get_report(&auth.session.actor, id).await {
            Ok(t) => show_thread(&state, &auth, t, None, Some(ApiError::from(e).message)).await,
            Err(_) => core_error_page(e),
        },
    }
}
