//! NISC files a follow-up edition (続報) of a published advisory from a page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_domain::AdvisoryId;

use super::form::{FormResult, Input, form_page};
use super::view_or_page;
use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use crate::ui::report_form::{jst, local};
use crate::ui::widgets::{bad_request_page, check_csrf, path_id, t_ja};

pub async fn follow_up_form(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut input = Input::from_form(&v.form, String::new());
    input.provided_at = local(&state.core.now().with_timezone(&jst()));
    form_page(
        &state,
        &auth.session,
        format!("{}（{}）", t_ja("advisory.follow_up"), v.title),
        format!("/advisories/{}/follow-up", v.id),
        input,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn follow_up(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: FormResult<Input>,
) -> Response {
    let Ok(Form(input)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let heading = t_ja("advisory.follow_up").to_owned();
    let post_url = format!("/advisories/{id}/follow-up");
    let form = match input.to_form(&state) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                &state,
                &auth.session,
                heading,
                post_url,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let reason = Some(input.override_reason.as_str()).filter(|r| !r.trim().is_empty());
    match state
        .core
        .file_advisory_follow_up(&auth.session, id, form, reason)
        .await
    {
        Ok(_) => Redirect::to(&format!("/advisories/{id}?done=published")).into_response(),
        Err(e) => {
            let api = ApiError::from(e);
            let status = api.status();
            form_page(
                &state,
                &auth.session,
                heading,
                post_url,
                input,
                vec![api.message],
                status,
            )
            .await
        }
    }
}
