//! Filing a follow-up (続報) from a page: the form starts from the organisation's own latest
//! version.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;

use super::form::{
    FormPage, FormResult, base_form, failed_form, form_page, own_code, posted_form, thread_or_page,
};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::report_form::{FormInput, jst};
use crate::ui::widgets::{bad_request_page, check_csrf, edition_label, not_found_page, t_ja};

pub async fn follow_up_form(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let code = own_code(&state, &auth.session).await;
    let Some(mut form) = base_form(&t, code.as_deref()) else {
        return not_found_page();
    };
    let edition = t.editions.last().map(|e| e.edition + 1).unwrap_or(1);
    form.reported_at = state.core.now().with_timezone(&jst());
    let page = FormPage {
        heading: format!(
            "{}（{}）",
            t_ja("report.file_follow_up"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/follow-up", t.id),
        edition,
        number: t.number.as_ref().map(|n| format!("{n}-{edition}")),
        route_targets: Vec::new(),
        offer_anonymize: false,
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

pub async fn follow_up(
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
    let edition = t.editions.last().map(|e| e.edition + 1).unwrap_or(1);
    let page = FormPage {
        heading: format!(
            "{}（{}）",
            t_ja("report.file_follow_up"),
            edition_label(edition)
        ),
        post_url: format!("/reports/{}/follow-up", t.id),
        edition,
        number: t.number.as_ref().map(|n| format!("{n}-{edition}")),
        route_targets: Vec::new(),
        offer_anonymize: false,
    };
    let (form, page, input) = match posted_form(&state, &auth.session, page, input, edition).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let submit = input.action != "draft";
    match state
        .core
        .file_follow_up(&auth.session, t.id, form, submit)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/reports/{}?done={}",
            t.id,
            if submit { "sent" } else { "drafted" }
        ))
        .into_response(),
        Err(e) => failed_form(&state, &auth.session, page, input, e).await,
    }
}
