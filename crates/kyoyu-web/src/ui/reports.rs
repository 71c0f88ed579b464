//! The report pages: list and inbox, the form laid out like 様式 (図4), the thread, the
//! printable view with ■/□ marks, forwarding, follow-ups, drafts and attachments. Everything
//! shown comes from the core's `ReportThread`, which already applies scope and anonymisation.

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_core::reports::{InboxBox, ReportFilter, ReportSummary, ReportThread};
use kyoyu_core::{CoreError, Session};
use kyoyu_domain::messages::{Locale, fill, t};
use kyoyu_domain::report::{ReportForm, field_label};
use kyoyu_domain::{
    Cause, CauseGroup, EventClass, Outlook, PressState, ReportBasis, Severity, SystemStatus, Tlp,
};
use serde::Deserialize;

use super::report_form::{FormInput, describe, jst, local};
use super::{Chrome, JA, L, core_error_page, error_page, render};
use crate::AppState;
use crate::auth::{PageAuth, csrf_ok};
use crate::error::ApiError;

pub struct Opt {
    pub code: String,
    pub label: String,
    pub help: String,
}

pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

fn opts<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            code: code(*v).to_owned(),
            label: label(*v).to_owned(),
            help: String::new(),
        })
        .collect()
}

fn tlp_opts() -> Vec<Opt> {
    Tlp::ALL
        .iter()
        .map(|v| Opt {
            code: v.code().to_owned(),
            label: v.label().to_owned(),
            help: v.meaning().to_owned(),
        })
        .collect()
}

fn sector_opts(state: &AppState) -> Vec<Opt> {
    state
        .core
        .reference()
        .sectors
        .iter()
        .map(|s| Opt {
            code: s.code.clone(),
            label: s.name_ja.clone(),
            help: String::new(),
        })
        .collect()
}

/// A stored time (RFC 3339) as the UI shows it: JST to the minute.
pub fn show_time(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| ts.to_owned())
}

/// How long since `ts`, in Japanese.
pub fn waited(ts: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) else {
        return String::new();
    };
    let mins = (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
        .num_minutes()
        .max(0);
    let text = if mins < 60 {
        format!("{mins}分")
    } else if mins < 48 * 60 {
        format!("{}時間", mins / 60)
    } else {
        format!("{}日", mins / (24 * 60))
    };
    fill(t_ja("report.waiting"), &[("time", &text)])
}

fn t_ja(key: &str) -> &'static str {
    t(Locale::Ja, key)
}

// ------------------------------------------------------------------------------------------
// Lists

pub struct Row {
    pub id: i64,
    pub number: String,
    pub tlp_code: String,
    pub tlp_label: String,
    pub sector: String,
    pub title: String,
    pub edition: String,
    pub updated: String,
    pub follow_up: String,
}

fn rows(items: Vec<ReportSummary>) -> Vec<Row> {
    items
        .into_iter()
        .map(|s| Row {
            id: s.id,
            number: s
                .number
                .unwrap_or_else(|| t_ja("report.number_pending").to_owned()),
            tlp_code: s.tlp.code().to_owned(),
            tlp_label: s.tlp.label().to_owned(),
            sector: s.sector_name,
            title: s.title,
            edition: format!(
                "第{}報{}",
                s.edition,
                if s.state == "draft" {
                    "（下書き）"
                } else {
                    ""
                }
            ),
            updated: show_time(&s.updated_at),
            follow_up: s.waiting_since.as_deref().map(waited).unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "report_list.html")]
struct ListTpl {
    l: L,
    chrome: Chrome,
    heading: String,
    show_new: bool,
    show_filters: bool,
    tabs: Vec<(String, String, bool)>,
    sectors: Vec<Opt>,
    tlps: Vec<Opt>,
    q: String,
    sector: String,
    tlp: String,
    rows: Vec<Row>,
    next_url: Option<String>,
}

fn can_file(s: &Session) -> bool {
    use kyoyu_domain::Role;
    [Role::Operator, Role::Ceptoar, Role::SectorMinistry]
        .iter()
        .any(|r| s.actor.has_role(*r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    sector: String,
    tlp: String,
    cursor: String,
}

pub async fn list(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = ReportFilter {
        sector: Some(q.sector.clone()).filter(|s| !s.is_empty()),
        tlp: q.tlp.parse().ok(),
        q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        cursor: q.cursor.parse().ok(),
        limit: Some(50),
        ..Default::default()
    };
    let page = match state.core.list_reports(&auth.session.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return core_error_page(e),
    };
    let next_url = page.next_cursor.map(|c| {
        format!(
            "/reports?q={}&sector={}&tlp={}&cursor={c}",
            urlencode(&q.q),
            urlencode(&q.sector),
            urlencode(&q.tlp)
        )
    });
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "reports").await,
        heading: t_ja("nav.reports").to_owned(),
        show_new: can_file(&auth.session),
        show_filters: true,
        tabs: inbox_tabs(None),
        sectors: sector_opts(&state),
        tlps: tlp_opts(),
        q: q.q,
        sector: q.sector,
        tlp: q.tlp,
        rows: rows(page.items),
        next_url,
    };
    render(StatusCode::OK, &tpl)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn inbox_tabs(current: Option<InboxBox>) -> Vec<(String, String, bool)> {
    [
        (InboxBox::ToForward, "to_forward", "report.box_to_forward"),
        (InboxBox::Received, "received", "report.box_received"),
        (InboxBox::Sent, "sent", "report.box_sent"),
        (InboxBox::Drafts, "drafts", "report.box_drafts"),
    ]
    .into_iter()
    .map(|(b, code, key)| {
        (
            t_ja(key).to_owned(),
            format!("/inbox?box={code}"),
            current == Some(b),
        )
    })
    .chain(std::iter::once((
        t_ja("report.follow_ups").to_owned(),
        "/follow-ups".to_owned(),
        false,
    )))
    .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoxQuery {
    #[serde(rename = "box")]
    which: String,
}

pub async fn inbox(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<BoxQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let which =
        match crate::api::reports::inbox_box(Some(q.which.as_str()).filter(|w| !w.is_empty())) {
            Ok(w) => w,
            Err(e) => return error_page(e.status, &e.message),
        };
    let items = match state.core.inbox(&auth.session, which).await {
        Ok(i) => i,
        Err(e) => return core_error_page(e),
    };
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "inbox").await,
        heading: t_ja("report.inbox").to_owned(),
        show_new: can_file(&auth.session),
        show_filters: false,
        tabs: inbox_tabs(Some(which)),
        sectors: Vec::new(),
        tlps: Vec::new(),
        q: String::new(),
        sector: String::new(),
        tlp: String::new(),
        rows: rows(items),
        next_url: None,
    };
    render(StatusCode::OK, &tpl)
}

pub async fn follow_ups(State(state): State<AppState>, auth: PageAuth) -> Response {
    let items = match state.core.follow_ups(&auth.session).await {
        Ok(i) => i,
        Err(e) => return core_error_page(e),
    };
    let mut tabs = inbox_tabs(None);
    if let Some(last) = tabs.last_mut() {
        last.2 = true;
    }
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "inbox").await,
        heading: t_ja("report.follow_ups").to_owned(),
        show_new: false,
        show_filters: false,
        tabs,
        sectors: Vec::new(),
        tlps: Vec::new(),
        q: String::new(),
        sector: String::new(),
        tlp: String::new(),
        rows: rows(items),
        next_url: None,
    };
    render(StatusCode::OK, &tpl)
}

// ------------------------------------------------------------------------------------------
// The form

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormTpl {
    l: L,
    chrome: Chrome,
    heading: String,
    post_url: String,
    edition: u32,
    number: Option<String>,
    input: FormInput,
    errors: Vec<String>,
    severities: Vec<Opt>,
    tlps: Vec<Opt>,
    bases: Vec<Opt>,
    events: Vec<Opt>,
    cause_groups: Vec<OptGroup>,
    sectors: Vec<Opt>,
    statuses: Vec<Opt>,
    outlooks: Vec<Opt>,
    presses: Vec<Opt>,
    route_targets: Vec<kyoyu_core::reports::OrgRef>,
    offer_anonymize: bool,
}

struct FormPage {
    heading: String,
    post_url: String,
    edition: u32,
    number: Option<String>,
    route_targets: Vec<kyoyu_core::reports::OrgRef>,
    offer_anonymize: bool,
}

async fn form_page(
    state: &AppState,
    s: &Session,
    page: FormPage,
    input: FormInput,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let events = EventClass::ALL
        .iter()
        .map(|e| {
            let key = format!("event_help.{}", e.code());
            let help = t(Locale::Ja, &key);
            Opt {
                code: e.code().to_owned(),
                label: e.label().to_owned(),
                help: if help == key {
                    String::new()
                } else {
                    help.to_owned()
                },
            }
        })
        .collect();
    let cause_groups = CauseGroup::ALL
        .iter()
        .map(|g| OptGroup {
            label: g.label().to_owned(),
            options: Cause::ALL
                .iter()
                .filter(|c| c.group() == *g)
                .map(|c| Opt {
                    code: c.code().to_owned(),
                    label: c.label().to_owned(),
                    help: c.help().to_owned(),
                })
                .collect(),
        })
        .collect();
    let tpl = FormTpl {
        l: JA,
        chrome: Chrome::for_session(state, s, "reports").await,
        heading: page.heading,
        post_url: page.post_url,
        edition: page.edition,
        number: page.number,
        input,
        errors,
        severities: opts(Severity::ALL, Severity::code, Severity::label),
        tlps: tlp_opts(),
        bases: opts(ReportBasis::ALL, ReportBasis::code, ReportBasis::label),
        events,
        cause_groups,
        sectors: sector_opts(state),
        statuses: opts(SystemStatus::ALL, SystemStatus::code, SystemStatus::label),
        outlooks: opts(Outlook::ALL, Outlook::code, Outlook::label),
        presses: opts(PressState::ALL, PressState::code, PressState::label),
        route_targets: page.route_targets,
        offer_anonymize: page.offer_anonymize,
    };
    render(status, &tpl)
}

/// Where the caller's organisation may send a new report (for the form's select).
async fn new_report_targets(
    state: &AppState,
    s: &Session,
    sector: &str,
) -> Vec<kyoyu_core::reports::OrgRef> {
    state
        .core
        .report_targets(s, sector)
        .await
        .unwrap_or_default()
}

pub async fn new_form(State(state): State<AppState>, auth: PageAuth) -> Response {
    let s = &auth.session;
    let org = match s.org_id {
        Some(id) => state.core.org(&s.actor, id).await.ok(),
        None => None,
    };
    let now = chrono::Utc::now().with_timezone(&jst());
    let sector = org
        .as_ref()
        .and_then(|o| o.sectors.iter().next().cloned())
        .unwrap_or_default();
    let input = FormInput {
        reported_at: local(&now),
        contact_organization: org.as_ref().map(|o| o.name_ja.clone()).unwrap_or_default(),
        contact_person: s.name.clone(),
        contact_email: s.email.clone(),
        tlp: "amber".into(),
        has_attachment: "no".into(),
        operator_name: org
            .as_ref()
            .filter(|o| o.roles.contains(&kyoyu_domain::Role::Operator))
            .map(|o| o.name_ja.clone())
            .unwrap_or_default(),
        sector: sector.clone(),
        ..FormInput::default()
    };
    let targets = new_report_targets(&state, s, &sector).await;
    let page = FormPage {
        heading: t_ja("report.new").to_owned(),
        post_url: "/reports/new".into(),
        edition: 1,
        number: None,
        offer_anonymize: targets.iter().any(|o| o.code.starts_with("ceptoar"))
            || s.actor.has_role(kyoyu_domain::Role::Operator),
        route_targets: targets,
    };
    form_page(&state, s, page, input, Vec::new(), StatusCode::OK).await
}

fn form_errors_list(errors: Vec<(String, String)>) -> Vec<String> {
    errors.into_iter().map(|(f, m)| describe(&f, &m)).collect()
}

fn check_csrf(auth: &PageAuth, submitted: &str) -> Result<(), Response> {
    if csrf_ok(&auth.session.csrf, submitted) {
        Ok(())
    } else {
        Err(error_page(StatusCode::BAD_REQUEST, t_ja("error.csrf")))
    }
}

type FormResult = Result<Form<FormInput>, axum_extra::extract::FormRejection>;

pub async fn create(State(state): State<AppState>, auth: PageAuth, form: FormResult) -> Response {
    let Ok(Form(input)) = form else {
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let s = &auth.session;
    let targets = new_report_targets(&state, s, &input.sector).await;
    let page = FormPage {
        heading: t_ja("report.new").to_owned(),
        post_url: "/reports/new".into(),
        edition: 1,
        number: None,
        offer_anonymize: s.actor.has_role(kyoyu_domain::Role::Operator),
        route_targets: targets,
    };
    let form = match input.to_form(1) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                &state,
                s,
                page,
                input,
                form_errors_list(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let submit = input.action != "draft";
    let to = Some(input.to.as_str()).filter(|t| !t.is_empty());
    match state
        .core
        .create_report(s, form, to, input.anonymize == "yes", submit)
        .await
    {
        Ok(thread) => Redirect::to(&format!(
            "/reports/{}?done={}",
            thread.id,
            if submit { "sent" } else { "drafted" }
        ))
        .into_response(),
        Err(e) => failed_form(&state, s, page, input, e).await,
    }
}

async fn failed_form(
    state: &AppState,
    s: &Session,
    page: FormPage,
    input: FormInput,
    e: CoreError,
) -> Response {
    let api = ApiError::from(e);
    if api.status.is_server_error() || api.status == StatusCode::NOT_FOUND {
        return error_page(api.status, &api.message);
    }
    let msg = match &api.field {
        Some(f) => describe(f, &api.message),
        None => api.message.clone(),
    };
    form_page(state, s, page, input, vec![msg], api.status).await
}

async fn thread_or_page(
    state: &AppState,
    auth: &PageAuth,
    id: &str,
) -> Result<ReportThread, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(error_page(StatusCode::NOT_FOUND, t_ja("error.not_found")));
    };
    state
        .core
        .get_report(&auth.session.actor, id)
        .await
        .map_err(core_error_page)
}

/// The form of the caller's own latest version (for a follow-up or a draft), or the latest.
fn base_form(t: &ReportThread, own_org: Option<&str>) -> Option<ReportForm> {
    let own = t
        .editions
        .iter()
        .rev()
        .flat_map(|e| e.versions.iter().rev())
        .find(|v| own_org.is_some_and(|o| v.author_org.code == o));
    own.or_else(|| t.current()).map(|v| v.form.clone())
}

async fn own_code(state: &AppState, s: &Session) -> Option<String> {
    match s.org_id {
        Some(id) => state.core.org(&s.actor, id).await.ok().map(|o| o.code),
        None => None,
    }
}

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
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let edition = t.editions.last().map(|e| e.edition + 1).unwrap_or(1);
    form.reported_at = chrono::Utc::now().with_timezone(&jst());
    let page = FormPage {
        heading: format!("{}（第{edition}報）", t_ja("report.file_follow_up")),
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
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
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
        heading: format!("{}（第{edition}報）", t_ja("report.file_follow_up")),
        post_url: format!("/reports/{}/follow-up", t.id),
        edition,
        number: t.number.as_ref().map(|n| format!("{n}-{edition}")),
        route_targets: Vec::new(),
        offer_anonymize: false,
    };
    let form = match input.to_form(edition) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                &state,
                &auth.session,
                page,
                input,
                form_errors_list(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
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
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let Some(form) = t
        .editions
        .iter()
        .find(|e| e.edition == edition)
        .and_then(|e| e.latest())
        .map(|v| v.form.clone())
    else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let page = FormPage {
        heading: format!("{}（第{edition}報）", t_ja("report.edit_draft")),
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
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
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
        heading: format!("{}（第{edition}報）", t_ja("report.edit_draft")),
        post_url: format!("/reports/{}/draft", t.id),
        edition,
        number: None,
        offer_anonymize: edition == 1,
        route_targets: t.actions.submit_to.clone(),
    };
    let form = match input.to_form(edition) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                &state,
                &auth.session,
                page,
                input,
                form_errors_list(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
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
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let page = FormPage {
        heading: format!("{}（第{edition}報）", t_ja("report.forward_with_edit")),
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
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
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
        heading: format!("{}（第{edition}報）", t_ja("report.forward_with_edit")),
        post_url: format!("/reports/{}/forward/edit", t.id),
        edition,
        number: None,
        offer_anonymize: t.actions.can_anonymize,
        route_targets: t.actions.forward_to.clone(),
    };
    let form = match input.to_form(edition) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                &state,
                &auth.session,
                page,
                input,
                form_errors_list(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
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
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
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

// ------------------------------------------------------------------------------------------
// The thread

pub struct EditionBox {
    pub edition: u32,
    pub number: Option<String>,
    pub draft: bool,
    pub meta: String,
    pub changed: String,
    pub earlier_versions: usize,
    pub versions_note: String,
    pub sections: Vec<Section>,
}

pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

pub struct HopLine {
    pub edition: u32,
    pub from: String,
    pub to: String,
    pub at: String,
    pub tlp: String,
    pub anonymized: bool,
}

pub struct AttachmentLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub size: String,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
}

#[derive(Template)]
#[template(path = "report_thread.html")]
struct ThreadTpl {
    l: L,
    chrome: Chrome,
    heading: String,
    notice: Option<String>,
    error: Option<String>,
    t: ReportThread,
    tlp: Opt,
    tlp_note: String,
    additions: String,
    updated_at: String,
    waiting: Option<String>,
    editions: Vec<EditionBox>,
    timeline: Vec<(String, String)>,
    hops: Vec<HopLine>,
    attachments: Vec<AttachmentLine>,
    sample_note: String,
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => t_ja("report.yes").to_owned(),
        Some(false) => t_ja("report.no").to_owned(),
        None => String::new(),
    }
}

fn when(t: &Option<chrono::DateTime<chrono::FixedOffset>>) -> String {
    t.as_ref()
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The form as labelled rows, section by section in the order of 図4; empty fields left out.
pub fn sections(f: &ReportForm, sector_name: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut push = |title: &str, rows: Vec<(&str, String)>| {
        let rows: Vec<(String, String)> = rows
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        if !rows.is_empty() {
            out.push(Section {
                title: title.to_owned(),
                rows,
            });
        }
    };
    let c = &f.contact;
    push(
        t_ja("report.sec_header"),
        vec![
            (
                field_label("reported_at"),
                f.reported_at
                    .with_timezone(&jst())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ),
            (
                field_label("contact"),
                [&c.organization, &c.department, &c.person]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ／ "),
            ),
            (field_label("contact.phone"), c.phone.clone()),
            (field_label("contact.fax"), c.fax.clone()),
            (field_label("contact.email"), c.email.clone()),
            (
                field_label("severity"),
                f.severity.map(|s| s.label().to_owned()).unwrap_or_default(),
            ),
            (
                field_label("has_attachment"),
                yes_no(Some(f.has_attachment)),
            ),
            (
                field_label("basis"),
                f.basis.map(|b| b.label().to_owned()).unwrap_or_default(),
            ),
        ],
    );
    push(
        &format!("① {}", field_label("event")),
        vec![(
            field_label("event"),
            f.event.map(|e| e.label().to_owned()).unwrap_or_default(),
        )],
    );
    push(
        &format!("② {}", field_label("causes")),
        vec![(
            field_label("causes"),
            f.causes
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("、"),
        )],
    );
    push(
        &format!(
            "③ {} ／ ④ {}",
            field_label("sector"),
            field_label("operator_name")
        ),
        vec![
            (field_label("sector"), sector_name.to_owned()),
            (
                field_label("operator_name"),
                f.operator_name.clone().unwrap_or_default(),
            ),
        ],
    );
    let s = f.summary.clone().unwrap_or_default();
    push(
        &format!("⑤ {}", field_label("summary")),
        vec![
            (
                t_ja("report.occurred_at"),
                format!(
                    "{}{}",
                    when(&s.occurred_at),
                    s.occurred_at_note
                        .map(|n| format!("（{n}）"))
                        .unwrap_or_default()
                ),
            ),
            (t_ja("report.discovered_at"), when(&s.discovered_at)),
            (
                t_ja("report.affected_system"),
                s.affected_system.unwrap_or_default(),
            ),
            (
                t_ja("report.description"),
                s.description.unwrap_or_default(),
            ),
        ],
    );
    let i = f.impact.clone().unwrap_or_default();
    push(
        &format!("⑥ {}", field_label("impact")),
        vec![
            (t_ja("report.sml_deviation"), yes_no(i.sml_deviation)),
            (
                t_ja("report.system_status"),
                i.system_status
                    .map(|s| s.label().to_owned())
                    .unwrap_or_default(),
            ),
            (t_ja("report.spillover"), yes_no(i.spillover_possible)),
            (t_ja("report.impact_note"), i.note.unwrap_or_default()),
        ],
    );
    push(
        &format!("⑦ {}", field_label("timeline")),
        vec![(
            field_label("timeline"),
            f.timeline
                .iter()
                .map(|r| {
                    format!(
                        "{}　{}",
                        r.at.with_timezone(&jst()).format("%m/%d %H:%M"),
                        r.text
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )],
    );
    let e = f.external.clone().unwrap_or_default();
    push(
        &format!("⑧ {}", field_label("outlook")),
        vec![
            (
                field_label("outlook"),
                f.outlook.map(|o| o.label().to_owned()).unwrap_or_default(),
            ),
            (
                t_ja("report.press"),
                format!(
                    "{}{}",
                    e.press.map(|p| p.label().to_owned()).unwrap_or_default(),
                    e.press_note.map(|n| format!("　{n}")).unwrap_or_default()
                ),
            ),
            (
                t_ja("report.other_contacts"),
                e.other_contacts.unwrap_or_default(),
            ),
        ],
    );
    push(
        &format!("⑨ {}", field_label("lessons")),
        vec![(
            field_label("lessons"),
            f.lessons.clone().unwrap_or_default(),
        )],
    );
    out
}

fn changed_labels(fields: &[String]) -> String {
    let mut labels: Vec<String> = fields
        .iter()
        .map(|f| {
            let key = f.split('[').next().unwrap_or(f);
            let l = field_label(key);
            if !l.is_empty() {
                return l.to_owned();
            }
            let top = key.split('.').next().unwrap_or(key);
            let l = field_label(top);
            if l.is_empty() {
                f.clone()
            } else {
                l.to_owned()
            }
        })
        .collect();
    labels.dedup();
    labels.join("、")
}

fn heading_of(t: &ReportThread) -> String {
    let drill = if t.exercise { "【訓練】" } else { "" };
    drill.to_owned()
        + &match &t.number {
            Some(n) => format!("{} {n}", t_ja("nav.reports")),
            None => format!(
                "{}（{}）",
                t_ja("nav.reports"),
                t_ja("report.number_pending")
            ),
        }
}

async fn show_thread(
    state: &AppState,
    auth: &PageAuth,
    t: ReportThread,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let current = t.current().map(|v| v.form.clone());
    let tlp = Opt {
        code: t.tlp.code().to_owned(),
        label: t.tlp.label().to_owned(),
        help: t.tlp.meaning().to_owned(),
    };
    let editions = t
        .editions
        .iter()
        .map(|e| {
            let latest = e.latest();
            let meta = latest
                .map(|v| {
                    let who = match &v.author_name {
                        Some(n) => format!("{} {n}", v.author_org.name),
                        None => v.author_org.name.clone(),
                    };
                    let at = v
                        .sent_at
                        .as_deref()
                        .map(show_time)
                        .unwrap_or_else(|| show_time(&v.created_at));
                    format!(
                        "{who}　{at}{}",
                        if v.anonymized {
                            format!("　（{}）", t_ja("report.anonymized"))
                        } else {
                            String::new()
                        }
                    )
                })
                .unwrap_or_default();
            EditionBox {
                edition: e.edition,
                number: e.number.clone(),
                draft: e.state == "draft",
                meta,
                changed: changed_labels(&e.changed_fields),
                earlier_versions: e.versions.len().saturating_sub(1),
                versions_note: fill(
                    t_ja("report.versions_note"),
                    &[("n", &e.versions.len().to_string())],
                ),
                sections: latest
                    .map(|v| sections(&v.form, &t.sector_name))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut timeline: Vec<(chrono::DateTime<chrono::FixedOffset>, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &t.editions {
        if let Some(v) = e.latest() {
            for row in &v.form.timeline {
                if seen.insert((row.at, row.text.clone())) {
                    timeline.push((row.at, row.text.clone()));
                }
            }
        }
    }
    timeline.sort_by_key(|r| r.0);
    let hops = t
        .route
        .iter()
        .map(|h| HopLine {
            edition: h.edition,
            from: h.from.name.clone(),
            to: h.to.name.clone(),
            at: show_time(&h.at),
            tlp: h.tlp.label().to_owned(),
            anonymized: h.anonymized,
        })
        .collect();
    let attachments = t
        .attachments
        .iter()
        .map(|a| AttachmentLine {
            id: a.id,
            name: if a.kind == "sample" {
                format!("{}（zip）", a.file_name)
            } else {
                a.file_name.clone()
            },
            kind: if a.kind == "sample" {
                t_ja("report.kind_sample").to_owned()
            } else {
                t_ja("report.kind_document").to_owned()
            },
            size: format!("{} B", a.size),
            sha256: a.sha256.clone(),
            sha1: a.sha1.clone(),
            md5: a.md5.clone(),
        })
        .collect();
    let tpl = ThreadTpl {
        l: JA,
        chrome: Chrome::for_session(state, &auth.session, "reports").await,
        heading: heading_of(&t),
        notice,
        error,
        tlp,
        tlp_note: current
            .as_ref()
            .map(|f| f.tlp_note.clone())
            .unwrap_or_default(),
        additions: current
            .as_ref()
            .map(|f| {
                f.tlp_additions
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default(),
        updated_at: show_time(&t.updated_at),
        waiting: t.waiting_since.as_deref().map(waited),
        editions,
        timeline: timeline
            .into_iter()
            .map(|(at, text)| {
                (
                    at.with_timezone(&jst())
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    text,
                )
            })
            .collect(),
        hops,
        attachments,
        sample_note: fill(
            t_ja("report.sample_note"),
            &[("password", &state.config.sample_zip_password)],
        ),
        t,
    };
    render(StatusCode::OK, &tpl)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

pub async fn thread(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let done = q.map(|Query(q)| q.done).unwrap_or_default();
    let notice = ["sent", "drafted", "forwarded", "attached"]
        .contains(&done.as_str())
        .then(|| t_ja(&format!("report.done_{done}")).to_owned());
    show_thread(&state, &auth, t, notice, None).await
}

#[derive(Template)]
#[template(path = "report_print.html")]
pub struct PrintTpl {
    pub l: L,
    pub back_url: String,
    pub form_title: String,
    pub heading: String,
    pub tlp_note: String,
    pub rows: Vec<(String, String)>,
    pub timeline: Vec<(String, String)>,
}

/// `■label` for the chosen options, `□label` for the others, as on the paper form.
pub fn marks<T: Copy + PartialEq>(
    all: &[T],
    chosen: &[T],
    label: impl Fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|v| {
            format!(
                "{}{}",
                if chosen.contains(v) { "■" } else { "□" },
                label(*v)
            )
        })
        .collect::<Vec<_>>()
        .join("　")
}

pub async fn print(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let t = match thread_or_page(&state, &auth, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(v) = t.current() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let f = &v.form;
    let s = f.summary.clone().unwrap_or_default();
    let i = f.impact.clone().unwrap_or_default();
    let e = f.external.clone().unwrap_or_default();
    let yn = |b: Option<bool>| {
        format!(
            "{}有　{}無",
            if b == Some(true) { "■" } else { "□" },
            if b == Some(false) { "■" } else { "□" }
        )
    };
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    let causes = CauseGroup::ALL
        .iter()
        .map(|g| {
            let in_group: Vec<Cause> = Cause::ALL
                .iter()
                .copied()
                .filter(|c| c.group() == *g)
                .collect();
            format!(
                "【{}】{}",
                g.label(),
                marks(&in_group, &f.causes, Cause::label)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = &f.contact;
    let rows = vec![
        (
            field_label("number").to_owned(),
            f.number.clone().unwrap_or_default(),
        ),
        (
            field_label("edition").to_owned(),
            format!("第{}報", f.edition),
        ),
        (
            field_label("reported_at").to_owned(),
            f.reported_at
                .with_timezone(&jst())
                .format("%Y年%m月%d日 %H時%M分")
                .to_string(),
        ),
        (
            field_label("contact").to_owned(),
            format!(
                "省庁名：{}　部局名：{}　担当者名：{}\n電話番号：{}　FAX番号：{}\n電子メールアドレス：{}",
                c.organization, c.department, c.person, c.phone, c.fax, c.email
            ),
        ),
        (
            field_label("severity").to_owned(),
            marks(
                Severity::ALL,
                &f.severity.into_iter().collect::<Vec<_>>(),
                Severity::label,
            ),
        ),
        (
            field_label("tlp").to_owned(),
            marks(Tlp::ALL, &[f.tlp], Tlp::label),
        ),
        (
            format!("① {}", field_label("event")),
            marks(
                EventClass::ALL,
                &f.event.into_iter().collect::<Vec<_>>(),
                EventClass::label,
            ),
        ),
        (format!("② {}", field_label("causes")), causes),
        (
            field_label("has_attachment").to_owned(),
            yn(Some(f.has_attachment)),
        ),
        (
            format!("③ {}", field_label("sector")),
            t.sector_name.clone(),
        ),
        (
            format!("④ {}", field_label("operator_name")),
            opt(&f.operator_name),
        ),
        (
            format!("⑤ {}", field_label("summary")),
            format!(
                "発生日時：{}{}\n発見日時：{}\n対象システム・委託先：{}\n{}",
                when(&s.occurred_at),
                s.occurred_at_note
                    .map(|n| format!("（{n}）"))
                    .unwrap_or_default(),
                when(&s.discovered_at),
                opt(&s.affected_system),
                opt(&s.description)
            ),
        ),
        (
            format!("⑥ {}", field_label("impact")),
            format!(
                "サービス維持レベルの逸脱：{}\nシステム等の状況：{}\n他の事業者等への波及の可能性：{}\n{}",
                yn(i.sml_deviation),
                marks(
                    SystemStatus::ALL,
                    &i.system_status.into_iter().collect::<Vec<_>>(),
                    SystemStatus::label
                ),
                yn(i.spillover_possible),
                opt(&i.note)
            ),
        ),
        (
            format!("⑧ {}", field_label("outlook")),
            marks(
                Outlook::ALL,
                &f.outlook.into_iter().collect::<Vec<_>>(),
                Outlook::label,
            ),
        ),
        (
            field_label("external").to_owned(),
            format!(
                "報道発表：{}　{}\nNISC以外の連絡先：{}",
                marks(
                    PressState::ALL,
                    &e.press.into_iter().collect::<Vec<_>>(),
                    PressState::label
                ),
                opt(&e.press_note),
                opt(&e.other_contacts)
            ),
        ),
        (format!("⑨ {}", field_label("lessons")), opt(&f.lessons)),
        (
            field_label("basis").to_owned(),
            marks(
                ReportBasis::ALL,
                &f.basis.into_iter().collect::<Vec<_>>(),
                ReportBasis::label,
            ),
        ),
    ];
    let tpl = PrintTpl {
        l: JA,
        back_url: format!("/reports/{}", t.id),
        form_title: t_ja("report.form_title").to_owned(),
        heading: heading_of(&t),
        tlp_note: f.tlp_note.clone(),
        rows,
        timeline: f
            .timeline
            .iter()
            .map(|r| {
                (
                    r.at.with_timezone(&jst())
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    r.text.clone(),
                )
            })
            .collect(),
    };
    render(StatusCode::OK, &tpl)
}

pub async fn upload(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let (kind, name, ct, bytes) = match super::page_upload(&state, &auth, multipart).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let upload = kyoyu_core::reports::Upload {
        kind: &kind,
        file_name: &name,
        content_type: &ct,
        bytes: &bytes,
    };
    match state.core.add_attachment(&auth.session, id, upload).await {
        Ok(_) => Redirect::to(&format!("/reports/{id}?done=attached")).into_response(),
        Err(e) => core_error_page(e),
    }
}

pub async fn download(
    State(state): State<AppState>,
    auth: PageAuth,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(aid)) = (id.parse::<i64>(), aid.parse::<i64>()) else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    match state
        .core
        .download_attachment(
            &auth.session.actor,
            id,
            aid,
            &state.config.sample_zip_password,
        )
        .await
    {
        Ok(d) => crate::api::reports::file_response(d),
        Err(e) => core_error_page(e),
    }
}

#[derive(Template)]
#[template(path = "report_drill.html")]
struct DrillTpl {
    l: L,
    chrome: Chrome,
    id: i64,
    heading: String,
    rows: Vec<(u32, String, String, String, String)>,
    never: String,
}

pub async fn drill(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let d = match state.core.report_drill(&auth.session.actor, id).await {
        Ok(d) => d,
        Err(e) => return core_error_page(e),
    };
    let took = |s: Option<i64>| match s {
        None => t_ja("advisory.not_yet").to_owned(),
        Some(s) if s < 3600 => format!("{}分{}秒", s / 60, s % 60),
        Some(s) => format!("{}時間{}分", s / 3600, (s % 3600) / 60),
    };
    let tpl = DrillTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "reports").await,
        id,
        heading: format!(
            "{}{} {}",
            if d.exercise { "【訓練】" } else { "" },
            t_ja("report.drill"),
            d.number.clone().unwrap_or_default()
        ),
        rows: d
            .rows
            .iter()
            .map(|r| {
                (
                    r.edition,
                    r.org.name.clone(),
                    r.from.name.clone(),
                    show_time(&r.received_at),
                    took(r.seconds_to_pass_on),
                )
            })
            .collect(),
        never: d
            .never_passed_on
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
    };
    render(StatusCode::OK, &tpl)
}
