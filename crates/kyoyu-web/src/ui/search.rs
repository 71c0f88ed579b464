//! The search page: a query box, tabs for reports and advisories with their totals, facets to
//! narrow by (each a link that adds or removes one condition), and ranked hits with their
//! snippets marked. Works without script; without a session it searches public items.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::search::{SearchKind, SearchResults};
use kyoyu_domain::messages::ja;
use kyoyu_domain::search::Segment;

use crate::AppState;
use crate::api::search::SearchParams;
use crate::auth::MaybePageAuth;
use crate::error::ApiError;
use crate::ui::widgets::{show_time, t_ja, urlencode};
use crate::ui::{Chrome, JA, L, Visitor, render};

pub struct Hit {
    pub href: String,
    pub number: String,
    pub tlp_code: String,
    pub tlp_label: String,
    pub context: String,
    pub title: String,
    pub updated: String,
    pub snippet: Vec<Segment>,
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

pub struct FacetBox {
    pub label: String,
    pub values: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTpl {
    l: L,
    chrome: Chrome,
    q: String,
    kind: String,
    error: Option<String>,
    searched: bool,
    tabs: Vec<(String, String, bool)>,
    count: String,
    hits: Vec<Hit>,
    facets: Vec<FacetBox>,
    previous_url: Option<String>,
    next_url: Option<String>,
    page_of: String,
    /// The conditions shown, as hidden fields of the form that saves them (signed in only).
    save_fields: Option<Vec<(String, String)>>,
}

/// The conditions of a page as `(name, value)`, in a fixed order.
fn conditions(p: &SearchParams) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, v) in [
        ("q", &p.q),
        ("kind", &p.kind),
        ("sector", &p.sector),
        ("tlp", &p.tlp),
        ("severity", &p.severity),
        ("event", &p.event),
        ("cause", &p.cause),
        ("basis", &p.basis),
        ("state", &p.state),
        ("fiscal_year", &p.fiscal_year),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
            out.push((name, v.clone()));
        }
    }
    out
}

fn value_of<'a>(p: &'a SearchParams, name: &str) -> Option<&'a str> {
    match name {
        "sector" => p.sector.as_deref(),
        "tlp" => p.tlp.as_deref(),
        "severity" => p.severity.as_deref(),
        "event" => p.event.as_deref(),
        "cause" => p.cause.as_deref(),
        "basis" => p.basis.as_deref(),
        "state" => p.state.as_deref(),
        "fiscal_year" => p.fiscal_year.as_deref(),
        _ => None,
    }
}

/// `/search?…` with the page's conditions, `set` replacing (or with `None` removing) one,
/// from the first page unless `page` says otherwise.
fn link(p: &SearchParams, set: &[(&str, Option<&str>)], page: Option<u32>) -> String {
    let mut pairs: Vec<(String, String)> = conditions(p)
        .into_iter()
        .filter(|(n, _)| !set.iter().any(|(s, _)| s == n))
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    for (n, v) in set {
        if let Some(v) = v {
            pairs.push(((*n).to_owned(), (*v).to_owned()));
        }
    }
    if let Some(page) = page.filter(|p| *p > 1) {
        pairs.push(("page".into(), page.to_string()));
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{n}={}", urlencode(v)))
        .collect();
    format!("/search?{}", query.join("&"))
}

fn hits(r: &SearchResults) -> Vec<Hit> {
    let pending = || t_ja("report.number_pending").to_owned();
    let mut out: Vec<Hit> = r
        .reports
        .iter()
        .map(|h| Hit {
            href: format!("/reports/{}", h.summary.id),
            number: h.summary.number.clone().unwrap_or_else(pending),
            tlp_code: h.summary.tlp.code().to_owned(),
            tlp_label: h.summary.tlp.label().to_owned(),
            context: h.summary.sector_name.clone(),
            title: h.summary.title.clone(),
            updated: show_time(&h.summary.updated_at),
            snippet: h.snippet.clone(),
        })
        .collect();
    out.extend(r.advisories.iter().map(|h| {
        Hit {
            href: format!("/advisories/{}", h.summary.id),
            number: h.summary.title.clone(),
            tlp_code: h.summary.tlp.code().to_owned(),
            tlp_label: h.summary.tlp.label().to_owned(),
            context: h
                .summary
                .severity
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
            title: h.summary.overview.clone(),
            updated: h
                .summary
                .published_at
                .as_deref()
                .map(show_time)
                .unwrap_or_default(),
            snippet: h.snippet.clone(),
        }
    }));
    out
}

pub async fn page(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let chrome = Chrome::for_visitor(&state, auth.session.as_ref(), "search").await;
    let searched = !conditions(&params).iter().all(|(n, _)| *n == "kind");
    let outcome = match params.clone().request() {
        Ok(req) => state
            .core
            .search(&auth.actor(), &req)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let kind = params.kind.clone().unwrap_or_else(|| "reports".into());
    let mut tpl = SearchTpl {
        l: JA,
        chrome,
        q: params.q.clone().unwrap_or_default(),
        kind: kind.clone(),
        error: None,
        searched,
        tabs: Vec::new(),
        count: String::new(),
        hits: Vec::new(),
        facets: Vec::new(),
        previous_url: None,
        next_url: None,
        page_of: String::new(),
        save_fields: auth.session.as_ref().filter(|_| searched).map(|_| {
            conditions(&params)
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect()
        }),
    };
    let r = match outcome {
        Ok(r) => r,
        Err(e) => {
            tpl.error = Some(e.message.clone());
            return render(e.status(), &tpl);
        }
    };
    let (reports_total, advisories_total) = match r.kind {
        SearchKind::Reports => (r.total, r.other_total),
        SearchKind::Advisories => (r.other_total, r.total),
    };
    // The tabs keep the text and the conditions both kinds share.
    let shared = SearchParams {
        q: params.q.clone(),
        tlp: params.tlp.clone(),
        severity: params.severity.clone(),
        fiscal_year: params.fiscal_year.clone(),
        ..Default::default()
    };
    for (code, key, total) in [
        ("reports", "search.tab_reports", reports_total),
        ("advisories", "search.tab_advisories", advisories_total),
    ] {
        tpl.tabs.push((
            format!(
                "{}（{}）",
                t_ja(key),
                ja("search.count", &[("count", &total.to_string())])
            ),
            link(&shared, &[("kind", Some(code))], None),
            r.kind.code() == code,
        ));
    }
    tpl.count = ja("search.count", &[("count", &r.total.to_string())]);
    tpl.hits = hits(&r);
    for f in &r.facets {
        let current = value_of(&params, f.name);
        tpl.facets.push(FacetBox {
            label: f.label.to_owned(),
            values: f
                .values
                .iter()
                .map(|v| {
                    let selected = current == Some(v.value.as_str());
                    FacetLink {
                        label: v.label.clone(),
                        count: v.count,
                        href: link(
                            &params,
                            &[(f.name, (!selected).then_some(v.value.as_str()))],
                            None,
                        ),
                        selected,
                    }
                })
                .collect(),
        });
    }
    let pages = r.total.div_ceil(u64::from(r.per_page)).max(1);
    if r.page > 1 {
        tpl.previous_url = Some(link(&params, &[], Some(r.page - 1)));
    }
    if u64::from(r.page) < pages {
        tpl.next_url = Some(link(&params, &[], Some(r.page + 1)));
    }
    tpl.page_of = ja(
        "search.page_of",
        &[("page", &r.page.to_string()), ("pages", &pages.to_string())],
    );
    render(StatusCode::OK, &tpl)
}
