//! The shapes of the register: what the store keeps as JSON, what the API answers, and what it
//! takes. Codes are the domain's (`kyoyu_domain::risk`); dates are ISO 8601 (`2026-12-31`).

use chrono::NaiveDate;
use kyoyu_domain::risk::{
    ActionState, Approach, AssetKind, Criteria, Damage, DecisionRule, IssueSource, Likelihood,
    Priority, ReviewReason, RiskDecision, RiskState, Treatment,
};
use kyoyu_domain::{AdvisoryId, Cause, EventClass, ReportId};
use serde::{Deserialize, Serialize};

/// A version of the criteria as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriteriaVersion {
    pub version: i64,
    pub criteria: Criteria,
    pub created_at: String,
    /// The criteria's own review date has passed (6.2).
    pub review_due: bool,
}

/// `GET /api/v1/risk/criteria`: the version in force (none before the first is written — the
/// simplified start of 図表4) and every earlier one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriteriaView {
    /// The number of the version in force; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<CriteriaVersion>,
    /// Every version, newest first.
    pub versions: Vec<CriteriaVersion>,
    /// Risks judged under an older version (or without criteria) and not re-evaluated since.
    pub risks_to_reevaluate: usize,
}

/// `POST /api/v1/risk/assets`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub kind: AssetKind,
    /// Service codes of the reference data (図表6) the asset supports.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub description: String,
}

/// An asset to protect (図表5) as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AssetRecord {
    pub name: String,
    pub kind: AssetKind,
    pub services: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A service an asset supports, with its maintenance level from the reference data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetService {
    pub code: String,
    pub sector: String,
    pub name: String,
    /// サービス維持レベル, as the reference data words it.
    pub maintenance_level: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    pub id: i64,
    pub name: String,
    pub kind: AssetKind,
    pub services: Vec<AssetService>,
    pub description: String,
    pub created_at: String,
}

/// `POST /api/v1/risk/issues`: an issue (課題, 1.3) and where it came from.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIssue {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    pub source: IssueSource,
    /// The received advisory it comes from (information sharing).
    #[serde(default)]
    pub advisory_id: Option<AdvisoryId>,
    /// The report it comes from (information sharing).
    #[serde(default)]
    pub report_id: Option<ReportId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    #[serde(default)]
    pub id: i64,
    pub title: String,
    pub source: IssueSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory_id: Option<AdvisoryId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<ReportId>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub created_at: String,
}

/// `POST /api/v1/risk/risks`: an identified risk (2.) with its analysis (3.).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRisk {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    pub asset_ids: Vec<i64>,
    #[serde(default)]
    pub issue_ids: Vec<i64>,
    /// From the cause (threat/vulnerability → event) or from the result (2.1).
    #[serde(default = "by_cause")]
    pub approach: Approach,
    pub event: EventClass,
    #[serde(default)]
    pub causes: Vec<Cause>,
    /// The damage the event may cause (事業上の損失, 評判の失墜 …; 2.2).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub consequence: String,
    pub damage: Damage,
    pub likelihood: Likelihood,
    /// How many times a year it happens (4.1.1: frequent small damages accumulate).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100_000))]
    pub frequency_per_year: Option<u32>,
    /// The concrete impact on the business (3.2).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub impact: String,
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
}

fn by_cause() -> Approach {
    Approach::Cause
}

/// What decided, against which version of the criteria, and who.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluationRecord {
    pub decision: RiskDecision,
    pub rule: DecisionRule,
    /// The version of the criteria it was judged against; absent when there were none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria_version: Option<i64>,
    /// The written reason of a judgement or an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: String,
}

/// The selection considerations of 5.1, as the person recorded them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Considerations {
    /// 損害の重大性.
    #[serde(default)]
    pub severity: String,
    /// 対応策の実現性.
    #[serde(default)]
    pub feasibility: String,
    /// 損害の拡大の可能性.
    #[serde(default)]
    pub spread: String,
    /// 法律や規制.
    #[serde(default)]
    pub laws: String,
    /// 業務上の要求事項.
    #[serde(default)]
    pub business: String,
    /// 社会的責任等の要求事項.
    #[serde(default)]
    pub social: String,
    /// 利益と費用・労力・技術的実現性のバランス.
    #[serde(default)]
    pub cost_benefit: String,
}

/// One action of a treatment plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    #[serde(default = "planned")]
    pub state: ActionState,
}

fn planned() -> ActionState {
    ActionState::Planned
}

/// The treatment chosen (図表10) and its plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TreatmentPlan {
    pub option: Treatment,
    pub considerations: Considerations,
    pub actions: Vec<Action>,
    /// 対応要件: the security requirements the plan yields, for the operator's 安全基準.
    pub requirements: Vec<String>,
    pub chosen_at: String,
}

/// `treatment` in a PATCH.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TreatmentRequest {
    pub option: Treatment,
    #[serde(default)]
    pub considerations: Considerations,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub requirements: Vec<String>,
}

/// The residual level expected after treatment, re-evaluated against the criteria (5.1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Residual {
    pub damage: Damage,
    pub likelihood: Likelihood,
    pub evaluation: EvaluationRecord,
}

/// A finished round of treatment whose residual still fell short: the loop goes once more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Round {
    pub damage: Damage,
    pub likelihood: Likelihood,
    pub treatment: TreatmentPlan,
    pub residual: Residual,
}

/// A decision given in words: a judgement of management or experts where there are no
/// criteria, or an override of the criteria.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// `treat` or `accept`.
    pub decision: RiskDecision,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000))]
    pub reason: String,
}

/// A risk as kept (and as a register document carries it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskRecord {
    pub title: String,
    pub asset_ids: Vec<i64>,
    pub issue_ids: Vec<i64>,
    pub approach: Approach,
    pub event: EventClass,
    pub causes: Vec<Cause>,
    pub consequence: String,
    pub impact: String,
    pub damage: Damage,
    pub likelihood: Likelihood,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100_000))]
    pub frequency_per_year: Option<u32>,
    pub evaluation: EvaluationRecord,
    pub priority: Priority,
    /// The person set the priority; a new level no longer changes it.
    pub priority_set: bool,
    pub treatment: Option<TreatmentPlan>,
    pub residual: Option<Residual>,
    pub rounds: Vec<Round>,
    pub watch_on: Option<NaiveDate>,
    pub review_on: Option<NaiveDate>,
}

impl RiskRecord {
    /// The evaluation in force: the residual's once there is one.
    pub fn current(&self) -> &EvaluationRecord {
        self.residual
            .as_ref()
            .map_or(&self.evaluation, |r| &r.evaluation)
    }

    pub fn state(&self) -> RiskState {
        let decision = self.current().decision;
        if decision != RiskDecision::Undecided
            && self.treatment.as_ref().map(|t| t.option) == Some(Treatment::Retain)
        {
            return RiskState::Retained;
        }
        kyoyu_domain::risk::state_of(decision, self.treatment.as_ref().map(|t| t.option))
    }
}

/// One entry of a risk's history (each evaluation, decision and change, oldest first).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// `created`, `analysed`, `evaluated`, `judged`, `overridden`, `treatment`, `residual`,
    /// `another_round`, `edited`, `review_opened`, `review_closed`.
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<kyoyu_domain::UserId>,
    pub at: String,
}

/// A risk as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskView {
    pub id: i64,
    pub title: String,
    pub asset_ids: Vec<i64>,
    pub issue_ids: Vec<i64>,
    pub approach: Approach,
    pub event: EventClass,
    pub causes: Vec<Cause>,
    pub consequence: String,
    pub impact: String,
    pub damage: Damage,
    pub likelihood: Likelihood,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_per_year: Option<u32>,
    /// The decision in force (the residual's once there is one).
    pub decision: RiskDecision,
    pub decision_rule: DecisionRule,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria_version: Option<i64>,
    /// Judged under an older version of the criteria, or without criteria that now exist.
    pub needs_reevaluation: bool,
    /// The inherent evaluation (before treatment).
    pub evaluation: EvaluationRecord,
    pub state: RiskState,
    pub priority: Priority,
    /// Footnote 11: very severe and very rare — not to be decided by cost-benefit alone.
    pub rare_and_severe: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment: Option<TreatmentPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual: Option<Residual>,
    /// Earlier rounds of treatment whose residual fell short.
    pub rounds: Vec<Round>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
    /// The review date or the watch date has passed.
    pub review_due: bool,
    /// Actions of the plan past their due date and not done (internal monitoring, Ⅱ.6).
    pub overdue_actions: usize,
    /// Open review tasks of the risk.
    pub open_reviews: usize,
    pub created_at: String,
    pub updated_at: String,
    /// The risk's history; on the single risk only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

/// `PATCH /api/v1/risk/risks/{id}`: any of these; what is absent stays as it is. A change of
/// level, likelihood or frequency, and `reevaluate`, evaluate the risk again against the
/// criteria in force.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskPatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    pub asset_ids: Option<Vec<i64>>,
    pub issue_ids: Option<Vec<i64>>,
    pub event: Option<EventClass>,
    pub causes: Option<Vec<Cause>>,
    pub consequence: Option<String>,
    pub impact: Option<String>,
    pub damage: Option<Damage>,
    pub likelihood: Option<Likelihood>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100_000))]
    pub frequency_per_year: Option<u32>,
    pub priority: Option<Priority>,
    pub watch_on: Option<NaiveDate>,
    pub review_on: Option<NaiveDate>,
    /// Evaluate again against the criteria in force.
    #[serde(default)]
    pub reevaluate: bool,
    /// Management's or experts' decision where there are no criteria (4.1.1).
    pub judgement: Option<Verdict>,
    /// A decision against the criteria, with its reason (audited).
    #[serde(rename = "override")]
    pub override_: Option<Verdict>,
    pub treatment: Option<TreatmentRequest>,
    /// The plan's actions as they stand now (their states, owners, due dates), keeping the
    /// treatment chosen.
    pub actions: Option<Vec<Action>>,
    /// The level expected after the treatment, for re-evaluation (5.1.5).
    pub residual: Option<Level>,
}

/// A damage level and a likelihood.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub damage: Damage,
    pub likelihood: Likelihood,
}

/// A review task as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewView {
    pub id: i64,
    pub risk_id: i64,
    pub risk_title: String,
    pub reason: ReviewReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory_id: Option<AdvisoryId>,
    /// The advisory's number (`T3`) when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory_number: Option<String>,
    pub opened_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    pub note: String,
}
