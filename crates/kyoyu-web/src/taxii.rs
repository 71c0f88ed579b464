//! The TAXII 2.1 server under `/taxii2/`: discovery, one API root, its collections, their
//! objects, manifest, single objects and versions, with the TAXII media type, the
//! `X-TAXII-Date-Added-First/Last` headers and TAXII error messages. A caller authenticates
//! with an API token, as `Authorization: Bearer <token>` or as the password of HTTP Basic
//! (the user name is not read); without one it is anonymous and sees the public collection
//! only. What a collection holds for a caller is decided by the core's scoped reader.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use kyoyu_core::exchange::stix::EXTENSION_SCHEMA;
use kyoyu_core::exchange::{Collection, ObjectPage, ObjectQuery, VersionFilter};
use kyoyu_core::{CoreError, ErrorCode};
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;
use serde_json::{Value, json};

use crate::AppState;

pub const TAXII_TYPE: &str = "application/taxii+json;version=2.1";
const ROOT: &str = "/taxii2/api/";
/// The most objects one page holds (a client asking for more gets this many).
const MAX_PAGE: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(
            "/taxii2/schemas/kyoyu-extension.json",
            get(extension_schema),
        )
        .route(ROOT, get(api_root))
        .route("/taxii2/api/collections/", get(collections))
        .route("/taxii2/api/collections/{id}/", get(collection))
        .route("/taxii2/api/collections/{id}/objects/", get(objects))
        .route("/taxii2/api/collections/{id}/manifest/", get(manifest))
        .route(
            "/taxii2/api/collections/{id}/objects/{object}/",
            get(object),
        )
        .route(
            "/taxii2/api/collections/{id}/objects/{object}/versions/",
            get(versions),
        )
}

/// A TAXII error message (TAXII 2.1 §3.6.1).
pub struct TaxiiError {
    status: StatusCode,
    description: String,
}

impl TaxiiError {
    fn new(status: StatusCode, key: &'static str) -> TaxiiError {
        TaxiiError {
            status,
            description: ja(key, &[]),
        }
    }
}

impl From<CoreError> for TaxiiError {
    fn from(e: CoreError) -> Self {
        // The same Japanese text the JSON API gives (internal errors logged there).
        let api = crate::error::ApiError::from(e);
        // TAXII answers a request it cannot take with 400.
        let status = match api.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        TaxiiError {
            status,
            description: api.message,
        }
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.status.canonical_reason().unwrap_or("error"),
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut res = taxii_json(&body, self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kyoyu TAXII\", Bearer"),
            );
        }
        res
    }
}

fn taxii_json(body: &Value, status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_TYPE))],
        body.to_string(),
    )
        .into_response()
}

/// A request a TAXII server can answer: `Accept`, when given, admits the TAXII media type.
fn accepts_taxii(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|part| {
        let t = part.split(';').next().unwrap_or_default().trim();
        matches!(
            t.to_ascii_lowercase().as_str(),
            "application/taxii+json" | "application/*" | "*/*"
        )
    });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "taxii.not_acceptable",
        ))
    }
}

/// The caller: a bearer token or the password of Basic; anonymous without either. A token
/// that does not verify is a 401 (never silently anonymous).
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Actor, TaxiiError> {
    accepts_taxii(headers)?;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(Actor::Anonymous);
    };
    let unauthorized = || TaxiiError::new(StatusCode::UNAUTHORIZED, "taxii.unauthorized");
    let (scheme, rest) = value.split_once(' ').ok_or_else(unauthorized)?;
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| unauthorized())?;
        let text = String::from_utf8(decoded).map_err(|_| unauthorized())?;
        let (_, password) = text.split_once(':').ok_or_else(unauthorized)?;
        password.to_owned()
    } else {
        return Err(unauthorized());
    };
    match state.core.authenticate(&token).await {
        Ok(s) => Ok(s.actor),
        Err(e) if e.code == ErrorCode::Unauthenticated => Err(unauthorized()),
        Err(e) => Err(e.into()),
    }
}

/// A collection the caller may read: 404 for an unknown id, 401 for a signed-in one asked
/// anonymously.
fn collection_for(actor: &Actor, id: &str) -> Result<Collection, TaxiiError> {
    let c = Collection::from_id(id)
        .ok_or_else(|| TaxiiError::new(StatusCode::NOT_FOUND, "taxii.not_found"))?;
    if c.readable_by(actor) {
        Ok(c)
    } else {
        Err(TaxiiError::new(
            StatusCode::UNAUTHORIZED,
            "taxii.unauthorized",
        ))
    }
}

fn collection_json(c: Collection) -> Value {
    let key = |suffix: &str| format!("taxii.collection_{}{suffix}", c.code());
    json!({
        "id": c.id(),
        "title": kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, &key("")),
        "description": kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, &key("_description")),
        "alias": c.code(),
        "can_read": true,
        "can_write": false,
        "media_types": [kyoyu_core::exchange::stix::MEDIA_TYPE],
    })
}

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = caller(&state, &headers).await {
        return e.into_response();
    }
    taxii_json(
        &json!({
            "title": ja("taxii.title", &[]),
            "description": ja("taxii.description", &[]),
            "default": ROOT,
            "api_roots": [ROOT],
        }),
        StatusCode::OK,
    )
}

async fn extension_schema() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/schema+json"),
        )],
        EXTENSION_SCHEMA,
    )
        .into_response()
}

async fn api_root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = caller(&state, &headers).await {
        return e.into_response();
    }
    taxii_json(
        &json!({
            "title": ja("taxii.api_root_title", &[]),
            "description": ja("taxii.api_root_description", &[]),
            "versions": [TAXII_TYPE],
            "max_content_length": state.config.max_json_bytes,
        }),
        StatusCode::OK,
    )
}

async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match caller(&state, &headers).await {
        Ok(actor) => {
            let list: Vec<Value> = state
                .core
                .taxii_collections(&actor)
                .into_iter()
                .map(collection_json)
                .collect();
            taxii_json(&json!({ "collections": list }), StatusCode::OK)
        }
        Err(e) => e.into_response(),
    }
}

async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    let actor = caller(&state, &headers).await?;
    let c = collection_for(&actor, &id)?;
    Ok(taxii_json(&collection_json(c), StatusCode::OK))
}

/// The filters of an objects, manifest or versions request. Unknown parameters are ignored,
/// as TAXII asks of servers.
fn object_query(
    params: &[(String, String)],
    object: Option<&str>,
) -> Result<ObjectQuery, TaxiiError> {
    let mut q = ObjectQuery {
        limit: MAX_PAGE,
        ..ObjectQuery::default()
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (k, v) in params {
        match k.as_str() {
            "added_after" => {
                let t = chrono::DateTime::parse_from_rfc3339(v.trim()).map_err(|_| {
                    TaxiiError::new(StatusCode::BAD_REQUEST, "taxii.bad_added_after")
                })?;
                q.added_after = Some(t.with_timezone(&chrono::Utc));
            }
            "limit" => {
                let n: usize =
                    v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        TaxiiError::new(StatusCode::BAD_REQUEST, "taxii.bad_limit")
                    })?;
                q.limit = n.min(MAX_PAGE);
            }
            "next" => q.next = Some(v.clone()),
            "match[id]" => q.ids.extend(list(v)),
            "match[type]" => q.types.extend(list(v)),
            "match[spec_version]" => q.spec_versions.extend(list(v)),
            "match[version]" => {
                let mut times = Vec::new();
                for part in list(v) {
                    match part.as_str() {
                        "last" => q.version = VersionFilter::Last,
                        "first" => q.version = VersionFilter::First,
                        "all" => q.version = VersionFilter::All,
                        t if chrono::DateTime::parse_from_rfc3339(t).is_ok() => {
                            times.push(t.to_owned())
                        }
                        _ => {
                            return Err(TaxiiError::new(
                                StatusCode::BAD_REQUEST,
                                "taxii.bad_version",
                            ));
                        }
                    }
                }
                if !times.is_empty() {
                    q.version = VersionFilter::At(times);
                }
            }
            _ => {}
        }
    }
    if let Some(id) = object {
        q.ids = vec![id.to_owned()];
    }
    Ok(q)
}

/// The page's `X-TAXII-Date-Added-First/Last` headers.
fn with_dates(mut res: Response, page: &ObjectPage) -> Response {
    let h = res.headers_mut();
    for (name, at) in [
        ("x-taxii-date-added-first", page.objects.first()),
        ("x-taxii-date-added-last", page.objects.last()),
    ] {
        if let Some(v) = at.and_then(|o| HeaderValue::from_str(&o.date_added).ok()) {
            h.insert(name, v);
        }
    }
    res
}

async fn page_of(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    params: &[(String, String)],
    object: Option<&str>,
) -> Result<ObjectPage, TaxiiError> {
    let actor = caller(state, headers).await?;
    let c = collection_for(&actor, id)?;
    let q = object_query(params, object)?;
    Ok(state.core.taxii_objects(&actor, c, &q).await?)
}

fn envelope(page: &ObjectPage) -> Response {
    let mut body = json!({
        "more": page.next.is_some(),
        "objects": page.objects.iter().map(|o| &o.object).collect::<Vec<_>>(),
    });
    if let Some(n) = &page.next {
        body["next"] = json!(n);
    }
    with_dates(taxii_json(&body, StatusCode::OK), page)
}

async fn objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let page = page_of(&state, &headers, &id, &params, None).await?;
    Ok(envelope(&page))
}

async fn object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let page = page_of(&state, &headers, &id, &params, Some(&object)).await?;
    if page.objects.is_empty() && page.next.is_none() {
        return Err(TaxiiError::new(StatusCode::NOT_FOUND, "taxii.not_found"));
    }
    Ok(envelope(&page))
}

async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let page = page_of(&state, &headers, &id, &params, None).await?;
    let records: Vec<Value> = page
        .objects
        .iter()
        .map(|o| {
            json!({
                "id": o.object["id"],
                "date_added": o.date_added,
                "version": o.version,
                "media_type": kyoyu_core::exchange::stix::MEDIA_TYPE,
            })
        })
        .collect();
    let mut body = json!({ "more": page.next.is_some(), "objects": records });
    if let Some(n) = &page.next {
        body["next"] = json!(n);
    }
    Ok(with_dates(taxii_json(&body, StatusCode::OK), &page))
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let page = page_of(&state, &headers, &id, &params, Some(&object)).await?;
    if page.objects.is_empty() && page.next.is_none() {
        return Err(TaxiiError::new(StatusCode::NOT_FOUND, "taxii.not_found"));
    }
    let versions: Vec<&str> = page.objects.iter().map(|o| o.version.as_str()).collect();
    let mut body = json!({ "more": page.next.is_some(), "versions": versions });
    if let Some(n) = &page.next {
        body["next"] = json!(n);
    }
    Ok(with_dates(taxii_json(&body, StatusCode::OK), &page))
}
