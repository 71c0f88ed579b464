//! NISC's advisory form (図7) as a page: the flat fields a browser posts, turned into the
//! domain form; drafting, editing, and the sources given by their R-numbers.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_core::Session;
use kyoyu_domain::advisory::{AdvisoryForm, NiscContact, Recipient};
use kyoyu_domain::messages::ja;
use kyoyu_domain::{AdvisoryBasis, AdvisoryId, Cause, EventClass, ReportId, Role, Severity, Tlp};
use serde::Deserialize;

use super::view_or_page;
use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use crate::ui::report_form::{jst, local};
use crate::ui::widgets::{Opt, OptGroup, bad_request_page, check_csrf, path_id, t_ja, tlp_opts};
use crate::ui::{Chrome, JA, L, error_page, render};

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
    /// The event classes and causes the advisory is about (risk-review matching).
    pub events: Vec<String>,
    pub causes: Vec<String>,
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
    pub(super) fn to_form(&self, state: &AppState) -> Result<AdvisoryForm, Vec<String>> {
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
            errors.push(ja("invalid.required", &[("field", t_ja("report.tlp"))]));
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
            events: self
                .events
                .iter()
                .filter_map(|c| EventClass::from_code(c))
                .collect(),
            causes: self
                .causes
                .iter()
                .filter_map(|c| Cause::from_code(c))
                .collect(),
        })
    }

    pub(super) fn from_form(f: &AdvisoryForm, sources: String) -> Input {
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
            events: f.events.iter().map(|e| e.code().to_owned()).collect(),
            causes: f.causes.iter().map(|c| c.code().to_owned()).collect(),
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
    event_opts: Vec<Opt>,
    cause_opts: Vec<Opt>,
}

pub(super) async fn form_page(
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
        tlps: tlp_opts(),
        bases: AdvisoryBasis::ALL
            .iter()
            .map(|v| Opt {
                code: v.code().into(),
                label: v.label().into(),
                help: String::new(),
            })
            .collect(),
        event_opts: crate::ui::widgets::opts(EventClass::ALL, |v| v.code(), |v| v.label()),
        cause_opts: crate::ui::widgets::opts(Cause::ALL, |v| v.code(), |v| v.label()),
    };
    render(status, &tpl)
}

/// `?sources=R1`: the report the advisory starts from (the button on a report thread).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    sources: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: PageAuth,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> Response {
    if !auth.session.actor.has_role(Role::Nisc) {
        return error_page(StatusCode::FORBIDDEN, t_ja("error.forbidden"));
    }
    let Ok(Query(query)) = query else {
        return bad_request_page();
    };
    let input = Input {
        sources_text: query.sources.trim().to_owned(),
        provided_at: local(&state.core.now().with_timezone(&jst())),
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
async fn source_ids(state: &AppState, s: &Session, text: &str) -> Result<Vec<ReportId>, String> {
    let mut out = Vec::new();
    for token in text
        .split([',', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if let Ok(id) = token.trim_start_matches('#').parse::<ReportId>() {
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

async fn save(state: &AppState, auth: &PageAuth, id: Option<AdvisoryId>, input: Input) -> Response {
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
                api.status(),
            )
            .await
        }
    }
}

pub(super) type FormResult<T> = Result<Form<T>, axum_extra::extract::FormRejection>;

pub async fn create(
    State(state): State<AppState>,
    auth: PageAuth,
    form: FormResult<Input>,
) -> Response {
    let Ok(Form(input)) = form else {
        return bad_request_page();
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
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &input.csrf) {
        return r;
    }
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    save(&state, &auth, Some(id), input).await
}
