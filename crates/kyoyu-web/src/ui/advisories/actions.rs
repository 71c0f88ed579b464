//! The actions on an advisory's page: publish, ask a source to widen the scope, pass on,
//! record receipt or handling, and inquiries. Each shows the advisory again, with a notice or
//! the error.

use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use kyoyu_domain::AdvisoryId;
use serde::Deserialize;

use super::form::FormResult;
use super::view::after;
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{bad_request_page, check_csrf, path_id};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionInput {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason: String,
    override_reason: String,
    to: Vec<String>,
    state: String,
    note: String,
    text: String,
    ministry: String,
}

macro_rules! action {
    ($name:ident, |$state:ident, $auth:ident, $id:ident, $f:ident| $body:expr, $done:literal) => {
        pub async fn $name(
            State($state): State<AppState>,
            $auth: PageAuth,
            Path(raw): Path<String>,
            form: FormResult<ActionInput>,
        ) -> Response {
            let Ok(Form($f)) = form else {
                return bad_request_page();
            };
            if let Err(r) = check_csrf(&$auth, &$f.csrf) {
                return r;
            }
            let $id: AdvisoryId = match path_id(&raw) {
                Ok(id) => id,
                Err(r) => return r,
            };
            let result = $body;
            after(&$state, &$auth, $id, result, $done).await
        }
    };
}

action!(
    publish,
    |state, auth, id, f| state
        .core
        .publish_advisory(
            &auth.session,
            id,
            Some(f.override_reason.as_str()).filter(|r| !r.trim().is_empty())
        )
        .await,
    "published"
);
action!(
    request_scope,
    |state, auth, id, f| state
        .core
        .request_scope_change(&auth.session, id, &f.reason)
        .await,
    "requested"
);
action!(
    forward,
    |state, auth, id, f| state.core.forward_advisory(&auth.session, id, &f.to).await,
    "forwarded"
);
action!(
    ack,
    |state, auth, id, f| state
        .core
        .acknowledge_advisory(&auth.session, id, &f.state, &f.note)
        .await,
    "acknowledged"
);
action!(
    inquire,
    |state, auth, id, f| state
        .core
        .inquire(
            &auth.session,
            id,
            &f.text,
            Some(f.ministry.as_str()).filter(|m| !m.is_empty())
        )
        .await,
    "asked"
);
