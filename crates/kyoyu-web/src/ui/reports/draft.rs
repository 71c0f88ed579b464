//! Editing and sending a draft from a page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;

use super::form::{FormPage, FormResult, failed_form, form_page, posted_form, thread_or_page};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::error_page;
use crate::ui::report_form::FormInput;
use crate::ui::widgets::{bad_request_page, check_csrf, edition_label, not_found_page, t_ja};

pub async fn draft_form(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(edition) = t.actions.draft_edition else {
        return not_found_page();
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
            t_ja("report.edit_draft"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/draft", t.id),
        edition,
        number: None,
        offer_anonymize: edition == 1
            && t.actions
                .submit_to
                .iter()
                .any(|o| o.code.starts_with("ceptoar")),
        route_targets: t.actions.submit_to.clone(),
    };
    form_page(
        &state,
        &auth.session,
        page,
        FormInput::from_form(&form),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn save_draft(
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
    let Some(edition) = t.actions.draft_edition else {
        return error_page(StatusCode::CONFLICT, t_ja("report.no_draft"));
    };
    let page = FormPage {
        heading: format!(
            "{}（{}）",
            t_ja("report.edit_draft"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/draft", t.id),
        edition,
        number: None,
        offer_anonymize: edition == 1,
        route_targets: t.actions.submit_to.clone(),
    };
    let (form, page, input) = match posted_form(&state, &auth.session, page, input, edition).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    if let Err(e) = state.core.update_draft(&auth.session, t.id, form).await {
        return failed_form(&state, &auth.session, page, input, e).await;
    }
    if input.action == "draft" {
        return Redirect::to(&format!("/reports/{}?done=drafted", t.id)).into_response();
    }
    let to = Some(input.to.as_str()).filter(|t| !t.is_empty());
    match state
        .core
        .submit_draft(&auth.session, t.id, to, input.anonymize == "yes")
        .await
    {
        Ok(_) => Redirect::to(&format!("/reports/{}?done=sent", t.id)).into_response(),
        Err(e) => failed_form(&state, &auth.session, page, input, e).await,
    }
}
