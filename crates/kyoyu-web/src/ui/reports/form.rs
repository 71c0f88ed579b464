//! The report form laid out like 様式 (図4): the page shared by a new report, a follow-up, a
//! draft and a forward with corrections, and filing a new report from it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_core::reports::ReportThread;
use kyoyu_core::{CoreError, OrgRef, Session};
use kyoyu_domain::messages::{Locale, t};
use kyoyu_domain::report::{ReportForm, SmlCheck, check_impact};
use kyoyu_domain::routine::Framework;
use kyoyu_domain::{
    Cause, CauseGroup, EventClass, Outlook, PressState, ReportBasis, Severity, SystemStatus,
};

use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use crate::ui::report_form::{FormInput, describe, jst, local};
use crate::ui::widgets::{
    Opt, OptGroup, bad_request_page, check_csrf, not_found_page, opts, sector_opts, service_groups,
    t_ja, tlp_opts,
};
use crate::ui::{Chrome, JA, L, Visitor, core_error_page, error_page, render};

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
    route_targets: Vec<OrgRef>,
    offer_anonymize: bool,
    /// The new-report page also takes a filled Excel 様式.
    show_import: bool,
    /// The services of every sector, for ⑥ (表3).
    services: Vec<OptGroup>,
    /// Equipment with a rule of its own (表3, 放送).
    equipment: Vec<String>,
    /// kyoyu's suggestion for ⑥ from what was last posted or saved.
    sml: Option<SmlCheck>,
    /// The other sharing frameworks (Ⅲ), as guidance beside the send button.
    frameworks: Vec<Framework>,
}

pub(super) struct FormPage {
    pub heading: String,
    pub post_url: String,
    pub edition: u32,
    pub number: Option<String>,
    pub route_targets: Vec<OrgRef>,
    pub offer_anonymize: bool,
}

pub(super) async fn form_page(
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
    let reference = state.core.reference();
    let services = service_groups(state);
    let mut equipment: Vec<String> = Vec::new();
    for q in reference
        .sectors
        .iter()
        .flat_map(|sector| sector.services.iter())
        .flat_map(|v| v.qualifiers())
    {
        if !equipment.iter().any(|e| e == q) {
            equipment.push(q.to_owned());
        }
    }
    let sml = check_impact(&reference, &input.sector, &input.impact(&mut Vec::new()));
    let tpl = FormTpl {
        l: JA,
        frameworks: reference.frameworks.clone(),
        services,
        equipment,
        sml,
        chrome: Chrome::for_session(state, s, "reports").await,
        show_import: page.post_url == "/reports/new",
        heading: page.heading,
        post_url: page.post_url,
        edition: page.edition,
        number: page.number,
        input,
        errors,
        severities: Severity::ALL
            .iter()
            .map(|v| Opt {
                code: v.code().to_owned(),
                label: v.label().to_owned(),
                help: t(Locale::Ja, &format!("severity_help.{}", v.code())).to_owned(),
            })
            .collect(),
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
async fn new_report_targets(state: &AppState, s: &Session, sector: &str) -> Vec<OrgRef> {
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
    let now = state.core.now().with_timezone(&jst());
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

/// The domain form of a posted page with the page and input back, or the page to answer with:
/// the form again with its problems (422), or unchanged with the deviation check of ⑥ when
/// the reporter only asked for that (`action=assess`, nothing saved).
pub(super) async fn posted_form(
    state: &AppState,
    s: &Session,
    page: FormPage,
    input: FormInput,
    edition: u32,
) -> Result<(ReportForm, FormPage, FormInput), Response> {
    if input.action == "assess" {
        return Err(form_page(state, s, page, input, Vec::new(), StatusCode::OK).await);
    }
    match input.to_form(edition) {
        Ok(form) => Ok((form, page, input)),
        Err(errors) => Err(form_page(
            state,
            s,
            page,
            input,
            form_errors_list(errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await),
    }
}

pub(super) type FormResult = Result<Form<FormInput>, axum_extra::extract::FormRejection>;

pub async fn create(State(state): State<AppState>, auth: PageAuth, form: FormResult) -> Response {
    let Ok(Form(input)) = form else {
        return bad_request_page();
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
    let (form, page, input) = match posted_form(&state, s, page, input, 1).await {
        Ok(posted) => posted,
        Err(page) => return page,
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

pub(super) async fn failed_form(
    state: &AppState,
    s: &Session,
    page: FormPage,
    input: FormInput,
    e: CoreError,
) -> Response {
    let api = ApiError::from(e);
    if api.status().is_server_error() || api.status() == StatusCode::NOT_FOUND {
        return error_page(api.status(), &api.message);
    }
    let msg = match &api.field {
        Some(f) => describe(f, &api.message),
        None => api.message.clone(),
    };
    form_page(state, s, page, input, vec![msg], api.status()).await
}

/// The thread the visitor may see, or the page to answer with (404).
pub(super) async fn thread_or_page(
    state: &AppState,
    auth: &impl Visitor,
    id: &str,
) -> Result<ReportThread, Response> {
    let Ok(id) = id.parse::<kyoyu_domain::ReportId>() else {
        return Err(not_found_page());
    };
    state
        .core
        .get_report(&auth.actor(), id)
        .await
        .map_err(core_error_page)
}

/// The form of the caller's own latest version (for a follow-up or a draft), or the latest.
pub(super) fn base_form(t: &ReportThread, own_org: Option<&str>) -> Option<ReportForm> {
    let own = t
        .editions
        .iter()
        .rev()
        .flat_map(|e| e.versions.iter().rev())
        .find(|v| own_org.is_some_and(|o| v.author_org.code == o));
    own.or_else(|| t.current()).map(|v| v.form.clone())
}

pub(super) async fn own_code(state: &AppState, s: &Session) -> Option<String> {
    match s.org_id {
        Some(id) => state.core.org(&s.actor, id).await.ok().map(|o| o.code),
        None => None,
    }
}
