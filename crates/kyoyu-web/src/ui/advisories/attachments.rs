//! NISC attaches to an advisory from its page; downloads as the visitor may see them.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kyoyu_domain::{AdvisoryId, AttachmentId};

use crate::AppState;
use crate::auth::{MaybePageAuth, PageAuth};
use crate::ui::widgets::{not_found_page, path_id};
use crate::ui::{Visitor, core_error_page};

pub async fn upload(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let (kind, name, ct, bytes) = match crate::ui::page_upload(&state, &auth, multipart).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let upload = kyoyu_core::reports::Upload {
        kind: &kind,
        file_name: &name,
        content_type: &ct,
        bytes: &bytes,
    };
    match state
        .core
        .add_advisory_attachment(&auth.session, id, upload)
        .await
    {
        Ok(_) => Redirect::to(&format!("/advisories/{id}?done=saved")).into_response(),
        Err(e) => core_error_page(e),
    }
}

pub async fn download(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(aid)) = (id.parse::<AdvisoryId>(), aid.parse::<AttachmentId>()) else {
        return not_found_page();
    };
    match state
        .core
        .download_advisory_attachment(&auth.actor(), id, aid, &state.config.sample_zip_password)
        .await
    {
        Ok(d) => crate::api::reports::file_response(d),
        Err(e) => core_error_page(e),
    }
}
