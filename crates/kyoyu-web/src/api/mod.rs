//! The JSON API under `/api/v1`. Every route is declared with `#[utoipa::path]` and registered
//! through `OpenApiRouter`, so the OpenAPI 3.1 document is generated from the code itself.

mod account;
pub(crate) mod advisories;
pub(crate) mod contract;
pub(crate) mod documents;
pub(crate) mod exchange;
mod orgs;
pub mod reports;
mod risk;
pub(crate) mod search;
mod statistics;

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kyoyu API",
        description = "重要インフラ情報共有システム kyoyu の JSON API。認証は `Authorization: Bearer <token>`（`/api/v1/auth/login` で取得するセッショントークン、またはAPIトークン）。エラーは `{\"error\": {\"code\", \"message\", \"field\"?}}` で返します。閲覧権限のない項目は存在しない項目と同じく 404 です。",
        version = "1"
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "ログインとログアウト"),
        (name = "account", description = "自分のアカウントとAPIトークン"),
        (name = "orgs", description = "組織と参照データ"),
        (name = "reports", description = "情報連絡（インシデント報告）"),
        (name = "advisories", description = "情報提供（注意喚起）と共有範囲の変更依頼"),
        (name = "documents", description = "様式のExcel出力・取り込みと一覧のCSV"),
        (name = "search", description = "全文検索・絞り込みと統計（閲覧できる範囲だけ）"),
        (name = "risk", description = "リスクアセスメント（ISO/IEC 27005、自組織のデータだけ）")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// A list answered as `{"items": [...]}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// The multipart body of an attachment upload: exactly these two parts, nothing else.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)] // documents `additionalProperties: false`; `read_upload` enforces it
#[allow(dead_code)] // read field by field from the multipart stream (`reports::read_upload`)
pub struct UploadForm {
    /// `document` (別紙) or `sample` (検体).
    #[schema(pattern = "^(document|sample)$")]
    kind: String,
    /// The file itself; its name is kept (sanitised).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

/// A JSON answer made already (a list page serialises itself once; see `Page::json`).
pub(crate) fn json_bytes(body: &[u8]) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body.to_vec(),
    )
        .into_response()
}

pub fn routes(max_upload_bytes: usize) -> (Router<AppState>, OpenApiDoc) {
    // Uploads get their own body limit (the attachment limit plus multipart overhead).
    let uploads = OpenApiRouter::new()
        .routes(routes!(reports::upload))
        .routes(routes!(advisories::upload))
        .routes(routes!(documents::import_report))
        .routes(routes!(documents::import_advisory))
        .layer(axum::extract::DefaultBodyLimit::max(
            max_upload_bytes.saturating_add(64 * 1024),
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .routes(routes!(reports::create, reports::list))
        .routes(routes!(documents::report_xlsx))
        .routes(routes!(documents::advisory_xlsx))
        .routes(routes!(exchange::report_stix))
        .routes(routes!(exchange::advisory_stix))
        .routes(routes!(exchange::import_report_stix))
        .routes(routes!(exchange::import_advisory_stix))
        .routes(routes!(documents::report_pdf))
        .routes(routes!(documents::advisory_pdf))
        .routes(routes!(documents::blank_form))
        .routes(routes!(documents::reports_csv))
        .routes(routes!(documents::advisories_csv))
        .routes(routes!(documents::deliveries_csv))
        .routes(routes!(documents::inbox_csv))
        .routes(routes!(documents::follow_ups_csv))
        .routes(routes!(documents::report_drill_csv))
        .routes(routes!(documents::advisory_drill_csv))
        .routes(routes!(reports::get))
        .routes(routes!(reports::drill_report))
        .routes(routes!(reports::follow_up))
        .routes(routes!(reports::forward))
        .routes(routes!(reports::save_draft))
        .routes(routes!(reports::submit))
        .routes(routes!(reports::download))
        .routes(routes!(reports::inbox))
        .routes(routes!(reports::follow_ups))
        .routes(routes!(reports::notifications))
        .routes(routes!(advisories::create, advisories::list))
        .routes(routes!(advisories::get, advisories::update))
        .routes(routes!(advisories::publish))
        .routes(routes!(advisories::follow_up))
        .routes(routes!(advisories::download))
        .routes(routes!(advisories::forward))
        .routes(routes!(advisories::ack))
        .routes(routes!(advisories::inquire))
        .routes(routes!(advisories::request_scope))
        .routes(routes!(advisories::drill_report))
        .routes(routes!(advisories::scope_requests))
        .routes(routes!(advisories::decide))
        .routes(routes!(account::login))
        .routes(routes!(account::logout))
        .routes(routes!(account::me))
        .routes(routes!(account::workbench))
        .routes(routes!(account::list_tokens, account::create_token))
        .routes(routes!(account::revoke_token))
        .routes(routes!(
            account::notification_settings,
            account::set_notification_settings
        ))
        .routes(routes!(orgs::list_orgs))
        .routes(routes!(orgs::get_org))
        .routes(routes!(orgs::list_sectors))
        .routes(routes!(orgs::routine))
        .routes(routes!(search::search))
        .routes(routes!(statistics::statistics))
        .routes(routes!(risk::criteria, risk::add_criteria))
        .routes(routes!(risk::assets, risk::add_asset))
        .routes(routes!(risk::issues, risk::add_issue))
        .routes(routes!(risk::list, risk::create))
        .routes(routes!(risk::get, risk::update))
        .routes(routes!(risk::link_advisory))
        .routes(routes!(risk::reviews))
        .routes(routes!(risk::close_review))
        .routes(routes!(risk::export))
        .routes(routes!(risk::import))
        .routes(routes!(risk::library))
        .split_for_parts()
}
