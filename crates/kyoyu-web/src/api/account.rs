//! `/api/v1/auth/*` and `/api/v1/me*`: login, logout, the caller, and their API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kyoyu_core::workbench::Workbench;
use kyoyu_core::{LoginClient, TokenKind};
use kyoyu_domain::messages::{Locale, t};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::orgs::OrgView;

use crate::AppState;
use crate::auth::ApiAuth;
use crate::client::ClientAddr;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "op-finance-1-contact@demo.example")]
    pub email: String,
    pub password: String,
    /// The 6-digit code, for users with TOTP enabled.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// A session token for `Authorization: Bearer`.
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Log in with e-mail and password (and TOTP code); returns a session token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong credentials, or a TOTP code is required (`totp_required`)", body = ErrorBody),
        (status = 422, description = "a field is missing or malformed", body = ErrorBody),
        (status = 429, description = "too many failed logins from this address (`throttled`), or for this e-mail address (`account_locked`)", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.email.len() > 254 || req.password.len() > 1024 {
        return Err(ApiError::field(
            "email",
            t(Locale::Ja, "error.login_failed"),
        ));
    }
    let out = state
        .core
        .login_from(
            &req.email,
            &req.password,
            req.totp.as_deref(),
            TokenKind::Session,
            &LoginClient {
                address: Some(client.ip),
                ..LoginClient::default()
            },
        )
        .await?;
    Ok(Json(LoginResponse {
        token: out.token,
        expires_at: out.expires_at,
    }))
}

/// Revoke the token used for this call.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "logged out"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, auth: ApiAuth) -> Result<StatusCode, ApiError> {
    state.core.logout(&auth.session, &auth.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// A sharing contact (窓口) of the organisation: may read Amber/Red items in scope.
    pub is_contact: bool,
    /// Administrator rights in force.
    pub is_admin: bool,
    pub totp_enabled: bool,
    /// The caller's organisation; absent for a system administrator without one.
    pub org: Option<OrgView>,
    /// Sectors under the organisation's jurisdiction (sector ministries).
    pub jurisdiction: Vec<String>,
}

/// What waits for the caller's organisation: reports to forward, follow-ups awaited (and those
/// awaited longer than a day), scope requests to decide, advisories to acknowledge or handle.
/// Each count is of a list the caller may read, up to 100 (`more` when it goes on).
#[utoipa::path(get, path = "/api/v1/me/workbench", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Workbench), (status = 401, body = ErrorBody)))]
pub async fn workbench(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Workbench>, ApiError> {
    Ok(Json(state.core.workbench(&auth.session).await?))
}

/// The caller: user, organisation, roles, sectors.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<MeResponse>, ApiError> {
    let s = auth.session;
    let org = match s.org_id {
        Some(id) => Some(OrgView::from(state.core.org(&s.actor, id).await?)),
        None => None,
    };
    let jurisdiction = s
        .actor
        .org()
        .map(|o| o.jurisdiction.iter().cloned().collect())
        .unwrap_or_default();
    Ok(Json(MeResponse {
        id: s.user_id.0,
        email: s.email,
        name: s.name,
        is_contact: s.is_contact,
        is_admin: s.is_admin,
        totp_enabled: s.totp_enabled,
        org,
        jurisdiction,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// The caller's long-lived API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state.core.api_tokens(&auth.session).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                last_used_at: t.last_used_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for (1–100 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    /// Days until it expires (1 to the server's `max_token_days`, 365 unless configured); none
    /// for that longest lifetime.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    /// Shown only this once.
    pub token: String,
    pub expires_at: Option<String>,
}

/// Create a long-lived API token for the caller.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "account", security(("bearer" = [])), request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let t = state
        .core
        .create_api_token(&auth.session, &req.name, req.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: t.id,
            token: t.token,
            expires_at: t.expires_at,
        }),
    ))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path, description = "token id")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    state.core.revoke_api_token(&auth.session, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSetting {
    /// The event code.
    pub event: String,
    /// The event in Japanese.
    pub label: String,
    /// Whether the caller is e-mailed about it (as a sharing contact).
    pub email: bool,
}

/// Which events the caller is e-mailed about.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Vec<NotificationSetting>), (status = 401, body = ErrorBody)))]
pub async fn notification_settings(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<NotificationSetting>>, ApiError> {
    let settings = state.core.notification_settings(&auth.session).await?;
    Ok(Json(
        settings
            .into_iter()
            .map(|(event, label, email)| NotificationSetting {
                event,
                label,
                email,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsRequest {
    /// The events to be e-mailed about; every other event is muted.
    #[schema(schema_with = event_codes)]
    pub enabled: Vec<String>,
}

/// The schema of a list of notification event codes.
fn event_codes() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new().items(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(kyoyu_core::notify::EVENTS.iter().copied())),
    )
}

/// Choose which events the caller is e-mailed about.
#[utoipa::path(post, path = "/api/v1/me/notification-settings", tag = "account", security(("bearer" = [])), request_body = NotificationSettingsRequest,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_notification_settings(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<NotificationSettingsRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .core
        .set_notification_settings(&auth.session, &req.enabled)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
