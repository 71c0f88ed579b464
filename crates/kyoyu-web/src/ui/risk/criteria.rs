//! The criteria page: the version in force, earlier versions, and the form of a new one.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::risk::CriteriaView;
use kyoyu_domain::risk::{Damage, DecisionRule, Likelihood, RiskDecision};

use super::pages::{RegisterParams, notice_of};
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{Opt, opts, show_time, t_ja};
use crate::ui::{Chrome, JA, L, core_error_page, render};

/// One select of the matrix: its field name, the decision chosen, its label.
type Cell = (String, String, String);

#[derive(Template)]
#[template(path = "risk_criteria.html")]
struct CriteriaTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    view: CriteriaView,
    /// Each version's number and when it was written.
    versions: Vec<(i64, String)>,
    /// The matrix of the form: each damage (large first) with each likelihood's select.
    cells: Vec<(String, Vec<Cell>)>,
    likelihood_labels: Vec<String>,
    damages: Vec<Opt>,
    likelihoods: Vec<Opt>,
    decisions: Vec<Opt>,
    evaluation: String,
    impact: String,
    acceptance: String,
    damage_from: String,
    likelihood_from: String,
    frequency_from: String,
    review_on: String,
    /// Decisions management or experts made without criteria (footnote 10: they accumulate
    /// into the criteria's points of view): the risk, the decision, the reason.
    judgements: Vec<(i64, String, String, String)>,
    /// The form's label fields: name, the level's standard word, the organisation's word.
    label_fields: Vec<(String, String, String)>,
    colour_treat: String,
    colour_accept: String,
}

/// `/risk/criteria`: the criteria in force, their versions, and the form of a new version
/// (filled with the one in force).
pub async fn criteria_page(
    State(state): State<AppState>,
    auth: PageAuth,
    params: Result<Query<RegisterParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (view, risks) = match (
        state.core.risk_criteria(&auth.session).await,
        state.core.risks(&auth.session).await,
    ) {
        (Ok(v), Ok(r)) => (v, r),
        (Err(e), _) | (_, Err(e)) => return core_error_page(e),
    };
    let judgements = risks
        .iter()
        .flat_map(|r| {
            std::iter::once(&r.evaluation)
                .chain(r.residual.as_ref().map(|x| &x.evaluation))
                .filter(|e| e.rule == DecisionRule::Judgement)
                .map(|e| {
                    (
                        r.id,
                        r.title.clone(),
                        e.decision.label().to_owned(),
                        e.reason.clone().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let c = view
        .current
        .as_ref()
        .map(|c| c.criteria.clone())
        .unwrap_or_default();
    let cells = Damage::ALL
        .iter()
        .rev()
        .map(|d| {
            (
                d.label().to_owned(),
                Likelihood::ALL
                    .iter()
                    .map(|l| {
                        (
                            format!("cell_{}_{}", d.code(), l.code()),
                            c.matrix.at(*d, *l).code().to_owned(),
                            format!("{} × {}", d.label(), l.label()),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let tpl = CriteriaTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "risk").await,
        notice: notice_of(&params.map(|Query(p)| p.done).unwrap_or_default()),
        cells,
        likelihood_labels: Likelihood::ALL
            .iter()
            .map(|l| l.label().to_owned())
            .collect(),
        damages: opts(Damage::ALL, |v| v.code(), |v| v.label()),
        likelihoods: opts(Likelihood::ALL, |v| v.code(), |v| v.label()),
        decisions: [RiskDecision::Treat, RiskDecision::Accept]
            .iter()
            .map(|d| Opt {
                code: d.code().to_owned(),
                label: d.label().to_owned(),
                help: String::new(),
            })
            .collect(),
        evaluation: c.evaluation.join("\n"),
        impact: c.impact.join("\n"),
        acceptance: c.acceptance.join("\n"),
        damage_from: c
            .treat_damage_from
            .map(|d| d.code().to_owned())
            .unwrap_or_default(),
        likelihood_from: c
            .treat_likelihood_from
            .map(|d| d.code().to_owned())
            .unwrap_or_default(),
        frequency_from: c
            .treat_frequency_from
            .map(|n| n.to_string())
            .unwrap_or_default(),
        review_on: c.review_on.map(|d| d.to_string()).unwrap_or_default(),
        judgements,
        label_fields: Damage::ALL
            .iter()
            .map(|d| {
                (
                    format!("label_damage_{}", d.rank()),
                    format!("{}: {}", t_ja("risk.axis_damage"), d.label()),
                    c.labels
                        .as_ref()
                        .map(|_| c.damage_label(*d))
                        .unwrap_or_default(),
                )
            })
            .chain(Likelihood::ALL.iter().map(|l| {
                (
                    format!("label_likelihood_{}", l.rank()),
                    format!("{}: {}", t_ja("risk.axis_likelihood"), l.label()),
                    c.labels
                        .as_ref()
                        .map(|_| c.likelihood_label(*l))
                        .unwrap_or_default(),
                )
            }))
            .collect(),
        colour_treat: c
            .colours
            .as_ref()
            .map_or("#8b1a1a".to_owned(), |x| x.treat.clone()),
        colour_accept: c
            .colours
            .as_ref()
            .map_or("#e8f3e8".to_owned(), |x| x.accept.clone()),
        versions: view
            .versions
            .iter()
            .map(|v| (v.version, show_time(&v.created_at)))
            .collect(),
        view,
    };
    render(StatusCode::OK, &tpl)
}
