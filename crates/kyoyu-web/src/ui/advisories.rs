//! The advisory pages: list and inbox, NISC's form (図7) with the scope ceiling, scope-change
//! requests and the source-protection lint, the distribution table with 受領/対応, inquiries,
//! the drill report, the scope-request inbox of a source, and the printable view.

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_core::Session;
use kyoyu_core::advisories::AdvisoryView;
use kyoyu_domain::advisory::{AdvisoryForm, NiscContact, Recipient, by_ministry};
use kyoyu_domain::messages::{Locale, t};
use kyoyu_domain::{AdvisoryBasis, Role, Severity, Tlp};
use serde::Deserialize;

use super::report_form::{jst, local};
use super::reports::{Opt, OptGroup, PrintTpl, marks, show_time};
use super::{Chrome, JA, L, core_error_page, error_page, render};
use crate::AppState;
use crate::auth::{PageAuth, csrf_ok};
use crate::error::ApiError;

fn t_ja(key: &str) -> &'static str {
    t(Locale::Ja, key)
}

fn check_csrf(auth: &PageAuth, submitted: &str) -> Result<(), Response> {
    if csrf_ok(&auth.session.csrf, submitted) {
        Ok(())
    } else {
        Err(error_page(StatusCode::BAD_REQUEST, t_ja("error.csrf")))
    }
}

pub struct Line {
    pub id: i64,
    pub title: String,
    pub tlp_code: String,
    pub tlp_label: String,
    pub overview: String,
    pub state: String,
    pub received: String,
    pub handled: String,
}

#[derive(Template)]
#[template(path = "advisory_list.html")]
struct ListTpl {
    l: L,
    chrome: Chrome,
    can_create: bool,
    delivered: bool,
    rows: Vec<Line>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    delivered: bool,
}

pub async fn list(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let items = match state
        .core
        .list_advisories(&auth.session.actor, q.delivered)
        .await
    {
        Ok(i) => i,
        Err(e) => return core_error_page(e),
    };
    let rows = items
        .into_iter()
        .map(|a| Line {
            id: a.id,
            title: a.title,
            tlp_code: a.tlp.code().to_owned(),
            tlp_label: a.tlp.label().to_owned(),
            overview: a.overview,
            state: if a.state == "draft" {
                t_ja("advisory.state_draft")
            } else {
                t_ja("advisory.state_published")
            }
            .to_owned(),
            received: a
                .my_received_at
                .as_deref()
                .map(show_time)
                .unwrap_or_default(),
            handled: a
                .my_handled_at
                .as_deref()
                .map(show_time)
                .unwrap_or_default(),
        })
        .collect();
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "advisories").await,
        can_create: auth.session.actor.has_role(Role::Nisc),
        delivered: q.delivered,
        rows,
    };
    render(StatusCode::OK, &tpl)
}

/// The HTML form's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    pub provided_at: String,
    pub sectors: Vec<String>,
    pub severity: String,
    pub tlp: String,
    pub tlp_note: String,
    pub has_attachment: String,
    pub basis: String,
    pub exercise: String,
    pub overview: String,
    pub target: String,
    pub countermeasures: String,
    pub other: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub contact_fax: String,
    pub contact_email: String,
    #[serde(rename = "sources")]
    pub sources_text: String,
    pub override_reason: String,
    #[serde(rename = "_csrf")]
    pub csrf: String,
}

impl Input {
    fn to_form(&self, state: &AppState) -> Result<AdvisoryForm, Vec<String>> {
        let mut errors = Vec::new();
        let provided_at =
            chrono::NaiveDateTime::parse_from_str(self.provided_at.trim(), "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|n| n.and_local_timezone(jst()).single());
        if provided_at.is_none() {
            errors.push(format!(
                "{}: {}",
                t_ja("advisory.provided_at"),
                t_ja("advisory.bad_time")
            ));
        }
        let reference = state.core.reference();
        let mut recipients: Vec<Recipient> = Vec::new();
        for s in &self.sectors {
            let Some(sector) = reference.sector(s) else {
                continue;
            };
            match recipients
                .iter_mut()
                .find(|r| r.ministry == sector.ministry)
            {
                Some(r) => r.sectors.push(s.clone()),
                None => recipients.push(Recipient {
                    ministry: sector.ministry.clone(),
                    sectors: vec![s.clone()],
                }),
            }
        }
        let tlp: Option<Tlp> = self.tlp.parse().ok();
        if tlp.is_none() {
            errors.push(format!("{}は必須です。", t_ja("report.tlp")));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AdvisoryForm {
            comment: None,
            edition: 1,
            number: None,
            provided_at: provided_at.unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH.fixed_offset()),
            recipients,
            severity: self.severity.parse::<Severity>().ok(),
            tlp: tlp.unwrap_or(Tlp::Red),
            tlp_note: self.tlp_note.replace("\r\n", "\n"),
            has_attachment: self.has_attachment == "yes",
            overview: self.overview.replace("\r\n", "\n"),
            target: self.target.replace("\r\n", "\n"),
            countermeasures: self.countermeasures.replace("\r\n", "\n"),
            other: self.other.replace("\r\n", "\n"),
            contact: NiscContact {
                person: self.contact_person.trim().to_owned(),
                phone: self.contact_phone.trim().to_owned(),
                fax: self.contact_fax.trim().to_owned(),
                email: self.contact_email.trim().to_owned(),
            },
            basis: self.basis.parse::<AdvisoryBasis>().ok(),
            exercise: self.exercise == "yes",
        })
    }

    fn from_form(f: &AdvisoryForm, sources: String) -> Input {
        Input {
            provided_at: local(&f.provided_at),
            sectors: f.sectors().into_iter().collect(),
            severity: f.severity.map(|s| s.code().to_owned()).unwrap_or_default(),
            tlp: f.tlp.code().to_owned(),
            tlp_note: f.tlp_note.clone(),
            has_attachment: if f.has_attachment {
                "yes".into()
            } else {
                "no".into()
            },
            basis: f.basis.map(|b| b.code().to_owned()).unwrap_or_default(),
            exercise: if f.exercise {
                "yes".into()
            } else {
                String::new()
            },
            overview: f.overview.clone(),
            target: f.target.clone(),
            countermeasures: f.countermeasures.clone(),
            other: f.other.clone(),
            contact_person: f.contact.person.clone(),
            contact_phone: f.contact.phone.clone(),
            contact_fax: f.contact.fax.clone(),
            contact_email: f.contact.email.clone(),
            sources_text: sources,
            override_reason: String::new(),
            csrf: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "advisory_form.html")]
struct FormTpl {
    l: L,
    chrome: Chrome,
    heading: String,
    post_url: String,
    follow_up: bool,
    input: Input,
    errors: Vec<String>,
    sector_groups: Vec<OptGroup>,
    severities: Vec<Opt>,
    tlps: Vec<Opt>,
    bases: Vec<Opt>,
}

async fn form_page(
    state: &AppState,
    s: &Session,
    heading: String,
    post_url: String,
    input: Input,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let reference = state.core.reference();
    let sector_groups = reference
        .ministries
        .iter()
        .map(|m| OptGroup {
            label: m.name_ja.clone(),
            options: reference
                .sectors
                .iter()
                .filter(|s| s.ministry == m.code)
                .map(|s| Opt {
                    code: s.code.clone(),
                    label: s.name_ja.clone(),
                    help: String::new(),
                })
                .collect(),
        })
        .collect();
    let follow_up = post_url.ends_with("/follow-up");
    let tpl = FormTpl {
        l: JA,
        chrome: Chrome::for_session(state, s, "advisories").await,
        heading,
        follow_up,
        post_url,
        input,
        errors,
        sector_groups,
        severities: Severity::ALL
            .iter()
            .map(|v| Opt {
                code: v.code().into(),
                label: v.label().into(),
                help: String::new(),
            })
            .collect(),
        tlps: Tlp::ALL
            .iter()
            .map(|v| Opt {
                code: v.code().into(),
                label: v.label().into(),
                help: v.meaning().into(),
            })
            .collect(),
        bases: AdvisoryBasis::ALL
            .iter()
            .map(|v| Opt {
                code: v.code().into(),
                label: v.label().into(),
                help: String::new(),
            })
            .collect(),
    };
    render(status, &tpl)
}

pub async fn new_form(State(state): State<AppState>, auth: PageAuth) -> Response {
    if !auth.session.actor.has_role(Role::Nisc) {
        return error_page(StatusCode::FORBIDDEN, t_ja("error.forbidden"));
    }
    let input = Input {
        provided_at: local(&chrono::Utc::now().with_timezone(&jst())),
        tlp: "amber".into(),
        has_attachment: "no".into(),
        contact_person: auth.session.name.clone(),
        contact_email: auth.session.email.clone(),
        ..Input::default()
    };
    form_page(
        &state,
        &auth.session,
        t_ja("advisory.new").into(),
        "/advisories/new".into(),
        input,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `R1, R3` (report numbers) or ids, to report ids the caller may see.
async fn source_ids(state: &AppState, s: &Session, text: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    for token in text
        .split([',', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if let Ok(id) = token.trim_start_matches('#').parse::<i64>() {
            out.push(id);
            continue;
        }
        let filter = kyoyu_core::reports::ReportFilter {
            q: Some(token.to_owned()),
            limit: Some(5),
            ..Default::default()
        };
        let found = state
            .core
            .list_reports(&s.actor, &filter)
            .await
            .map_err(|e| ApiError::from(e).message)?;
        match found.items.iter().find(|r| {
            r.number
                .as_deref()
                .map(|n| n.split('-').next() == Some(token))
                .unwrap_or(false)
        }) {
            Some(r) => out.push(r.id),
            None => return Err(format!("{}「{token}」", t_ja("advisory.unknown_source"))),
        }
    }
    Ok(out)
}

async fn save(state: &AppState, auth: &PageAuth, id: Option<i64>, input: Input) -> Response {
    let (heading, post_url) = match id {
        Some(id) => (
            t_ja("advisory.edit").to_owned(),
            format!("/advisories/{id}/edit"),
        ),
        None => (
            t_ja("advisory.new").to_owned(),
            "/advisories/new".to_owned(),
        ),
    };
    let form = match input.to_form(state) {
        Ok(f) => f,
        Err(errors) => {
            return form_page(
                state,
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
    let sources = match source_ids(state, &auth.session, &input.sources_text).await {
        Ok(s) => s,
        Err(e) => {
            return form_page(
                state,
                &auth.session,
                heading,
                post_url,
                input,
                vec![e],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let result = match id {
        Some(id) => {
            state
                .core
                .update_advisory(&auth.session, id, form, &sources)
                .await
        }
        None => {
            state
                .core
                .create_advisory(&auth.session, form, &sources)
                .await
        }
    };
    match result {
        Ok(v) => Redirect::to(&format!("/advisories/{}?done=saved", v.id)).into_response(),
        Err(e) => {
            let api = ApiError::from(e);
            let msg = match &api.field {
                Some(f) => format!("{f}: {}", api.message),
                None => api.message.clone(),
            };
            form_page(
                state,
                &auth.session,
                heading,
                post_url,
                input,
                vec![msg],
                api.status,
            )
            .await
        }
    }
}

type FormResult<T> = Result<Form<T>, axum_extra::extract::FormRejection>;

pub async fn create(
    State(state): State<AppState>,
    auth: PageAuth,
    form: FormResult<Input>,
) -> Response {
    let Ok(Form(input)) = form else {
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    save(&state, &auth, None, input).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let sources = v
        .sources
        .as_ref()
        .map(|s| {
            s.iter()
                .map(|x| x.number.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    form_page(
        &state,
        &auth.session,
        t_ja("advisory.edit").into(),
        format!("/advisories/{}/edit", v.id),
        Input::from_form(&v.form, sources),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: FormResult<Input>,
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
    save(&state, &auth, Some(id), input).await
}

async fn view_or_page(
    state: &AppState,
    auth: &PageAuth,
    id: &str,
) -> Result<AdvisoryView, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(error_page(StatusCode::NOT_FOUND, t_ja("error.not_found")));
    };
    state
        .core
        .get_advisory(&auth.session.actor, id)
        .await
        .map_err(core_error_page)
}

#[derive(Template)]
#[template(path = "advisory_view.html")]
struct ViewTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
    is_nisc: bool,
    show_drill: bool,
    tlp: Opt,
    provided_at: String,
    recipients: String,
    severity: Option<String>,
    basis: Option<String>,
    contact: String,
    ceiling_why: Vec<String>,
    deliveries: Vec<(String, String, String, String, String, String)>,
    ministries: Vec<String>,
    v: AdvisoryView,
}

async fn show(
    state: &AppState,
    auth: &PageAuth,
    v: AdvisoryView,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let reference = state.core.reference();
    let recipients = by_ministry(&v.form.recipients)
        .into_iter()
        .map(|(m, secs)| {
            let name = reference
                .ministry(&m)
                .map(|x| x.name_ja.clone())
                .unwrap_or(m);
            let secs: Vec<&str> = secs.iter().map(|s| reference.sector_name(s)).collect();
            format!("{name}（{}）", secs.join("、"))
        })
        .collect::<Vec<_>>()
        .join("　");
    let c = &v.form.contact;
    let is_nisc = auth.session.actor.has_role(Role::Nisc);
    let deliveries = v
        .deliveries
        .iter()
        .map(|d| {
            (
                d.org.name.clone(),
                d.from.name.clone(),
                show_time(&d.delivered_at),
                d.received_at
                    .as_deref()
                    .map(show_time)
                    .unwrap_or_else(|| t_ja("advisory.not_yet").to_owned()),
                d.handled_at
                    .as_deref()
                    .map(show_time)
                    .unwrap_or_else(|| t_ja("advisory.not_yet").to_owned()),
                d.note.clone(),
            )
        })
        .collect();
    let ministries = v
        .deliveries
        .iter()
        .filter(|d| d.from.code == "nisc")
        .map(|d| d.org.code.clone())
        .collect();
    let tpl = ViewTpl {
        l: JA,
        chrome: Chrome::for_session(state, &auth.session, "advisories").await,
        notice,
        error,
        is_nisc,
        show_drill: is_nisc
            || v.deliveries.iter().any(|d| {
                Some(&d.from.code) != Some(&"nisc".to_owned()) && d.from.code != d.org.code
            }),
        tlp: Opt {
            code: v.tlp.code().into(),
            label: v.tlp.label().into(),
            help: v.tlp.meaning().into(),
        },
        provided_at: v
            .form
            .provided_at
            .with_timezone(&jst())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        recipients,
        severity: v.form.severity.map(|s| s.label().to_owned()),
        basis: v.form.basis.map(|b| b.label().to_owned()),
        contact: [&c.person, &c.phone, &c.email]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ／ "),
        ceiling_why: v
            .ceiling
            .as_ref()
            .map(|c| c.why.clone())
            .unwrap_or_default(),
        deliveries,
        ministries,
        v,
    };
    render(StatusCode::OK, &tpl)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

pub async fn view(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let done = q.map(|Query(q)| q.done).unwrap_or_default();
    let notice = [
        "saved",
        "published",
        "forwarded",
        "acknowledged",
        "requested",
        "asked",
    ]
    .contains(&done.as_str())
    .then(|| t_ja(&format!("advisory.done_{done}")).to_owned());
    show(&state, &auth, v, notice, None).await
}

/// Runs an action and shows the advisory again: with a notice, or with the error.
async fn after(
    state: &AppState,
    auth: &PageAuth,
    id: i64,
    result: kyoyu_core::Result<AdvisoryView>,
    done: &str,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/advisories/{id}?done={done}")).into_response(),
        Err(e) => match state.core.get_advisory(&auth.session.actor, id).await {
            Ok(v) => show(state, auth, v, None, Some(ApiError::from(e).message)).await,
            Err(_) => core_error_page(e),
        },
    }
}

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
                return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
            };
            if let Err(r) = check_csrf(&$auth, &$f.csrf) {
                return r;
            }
            let Ok($id) = raw.parse::<i64>() else {
                return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
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

#[derive(Template)]
#[template(path = "advisory_drill.html")]
struct DrillTpl {
    l: L,
    chrome: Chrome,
    id: i64,
    heading: String,
    rows: Vec<(String, String, String, String, String)>,
    never_received: String,
    never_handled: String,
}

fn duration(secs: Option<i64>) -> String {
    match secs {
        None => t_ja("advisory.not_yet").to_owned(),
        Some(s) if s < 60 => format!("{s}秒"),
        Some(s) if s < 3600 => format!("{}分{}秒", s / 60, s % 60),
        Some(s) => format!("{}時間{}分", s / 3600, (s % 3600) / 60),
    }
}

pub async fn drill(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    let r = match state.core.drill_report(&auth.session, id).await {
        Ok(r) => r,
        Err(e) => return core_error_page(e),
    };
    let tpl = DrillTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "advisories").await,
        id,
        heading: format!(
            "{}{} {}",
            if r.exercise { "【訓練】" } else { "" },
            t_ja("advisory.drill_report"),
            r.number.clone().unwrap_or_default()
        ),
        rows: r
            .rows
            .iter()
            .map(|x| {
                (
                    x.org.name.clone(),
                    x.from.name.clone(),
                    show_time(&x.delivered_at),
                    duration(x.seconds_to_receive),
                    duration(x.seconds_to_handle),
                )
            })
            .collect(),
        never_received: r
            .never_received
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
        never_handled: r
            .never_handled
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
    };
    render(StatusCode::OK, &tpl)
}

pub async fn print(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let f = &v.form;
    let reference = state.core.reference();
    let recipients = by_ministry(&f.recipients)
        .into_iter()
        .map(|(m, secs)| {
            format!(
                "{}（{}）",
                reference
                    .ministry(&m)
                    .map(|x| x.name_ja.clone())
                    .unwrap_or(m),
                secs.iter()
                    .map(|s| reference.sector_name(s))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let rows = vec![
        ("識別番号".to_owned(), v.number.clone().unwrap_or_default()),
        ("報数".to_owned(), format!("第{}報", f.edition)),
        (
            "情報提供日時".to_owned(),
            f.provided_at
                .with_timezone(&jst())
                .format("%Y年%m月%d日 %H時%M分")
                .to_string(),
        ),
        ("情報提供先".to_owned(), recipients),
        (
            "重要度".to_owned(),
            marks(
                Severity::ALL,
                &f.severity.into_iter().collect::<Vec<_>>(),
                Severity::label,
            ),
        ),
        (
            "情報共有範囲".to_owned(),
            marks(Tlp::ALL, &[f.tlp], Tlp::label),
        ),
        (
            "別紙有無".to_owned(),
            format!(
                "{}有　{}無",
                if f.has_attachment { "■" } else { "□" },
                if f.has_attachment { "□" } else { "■" }
            ),
        ),
        ("① 概要".to_owned(), f.overview.clone()),
        ("② 対象".to_owned(), f.target.clone()),
        ("③ 対処方針".to_owned(), f.countermeasures.clone()),
        ("④ その他".to_owned(), f.other.clone()),
        (
            "NISC連絡先".to_owned(),
            format!(
                "担当者名：{}　電話番号：{}　FAX番号：{}\n電子メールアドレス：{}",
                f.contact.person, f.contact.phone, f.contact.fax, f.contact.email
            ),
        ),
    ];
    let tpl = PrintTpl {
        l: JA,
        back_url: format!("/advisories/{}", v.id),
        form_title: format!("{}情報提供様式", if v.exercise { "【訓練】" } else { "" }),
        heading: v.title.clone(),
        tlp_note: f.tlp_note.clone(),
        rows,
        timeline: Vec::new(),
    };
    render(StatusCode::OK, &tpl)
}

#[derive(Template)]
#[template(path = "scope_requests.html")]
struct RequestsTpl {
    l: L,
    chrome: Chrome,
    rows: Vec<kyoyu_core::advisories::ScopeRequestView>,
}

pub async fn scope_requests(State(state): State<AppState>, auth: PageAuth) -> Response {
    let rows = match state.core.scope_requests(&auth.session).await {
        Ok(r) => r,
        Err(e) => return core_error_page(e),
    };
    render(
        StatusCode::OK,
        &RequestsTpl {
            l: JA,
            chrome: Chrome::for_session(&state, &auth.session, "advisories").await,
            rows,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionInput {
    #[serde(rename = "_csrf")]
    csrf: String,
    accept: String,
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: FormResult<DecisionInput>,
) -> Response {
    let Ok(Form(f)) = form else {
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    match state
        .core
        .decide_scope_request(&auth.session, id, f.accept == "yes", &f.note)
        .await
    {
        Ok(_) => Redirect::to("/scope-requests").into_response(),
        Err(e) => core_error_page(e),
    }
}

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
    input.provided_at = local(&chrono::Utc::now().with_timezone(&jst()));
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
        return error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
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
            form_page(
                &state,
                &auth.session,
                heading,
                post_url,
                input,
                vec![api.message],
                api.status,
            )
            .await
        }
    }
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
    auth: PageAuth,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(aid)) = (id.parse::<i64>(), aid.parse::<i64>()) else {
        return error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"));
    };
    match state
        .core
        .download_advisory_attachment(
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
