//! The operators' risk process of seed 004 (ISO/IEC 27005): the codes of its steps, the
//! versioned risk criteria and the evaluation rules of 4.1.1, and the life of a risk through
//! treatment and residual re-evaluation (5.1.5). Every risk belongs to one organisation; who may
//! touch it is decided by `policy::risk`.

pub mod criteria;
pub mod library;
pub mod life;

use crate::codes::code_enum;

pub use criteria::{Criteria, Evaluation, Matrix, MatrixColours, MatrixRow, ScaleLabels};
pub use life::{Priority, RiskState, priority_of, rare_and_severe, state_of};

code_enum!(
    /// 損害（リスク）のレベル (3.1.1), smallest first.
    Damage, "risk_damage" {
        Small = "small",
        Medium = "medium",
        Large = "large",
    }
);

code_enum!(
    /// 損害の発生のしやすさ (3.1.1), least likely first.
    Likelihood, "risk_likelihood" {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
);

code_enum!(
    /// What the evaluation decided (4.1.1).
    RiskDecision, "risk_decision" {
        Treat = "treat",
        Accept = "accept",
        Undecided = "undecided",
    }
);

code_enum!(
    /// Which rule decided (4.1.1): the matrix cell, magnitude alone, likelihood alone, frequency
    /// alone, a recorded judgement by management or experts where there are no criteria, a
    /// written override of the criteria, or none yet.
    DecisionRule, "risk_rule" {
        Cell = "cell",
        Magnitude = "magnitude",
        Likelihood = "likelihood",
        Frequency = "frequency",
        Judgement = "judgement",
        Override = "override",
        NoCriteria = "no_criteria",
    }
);

code_enum!(
    /// 防護すべき対象 (図表5).
    AssetKind, "risk_asset_kind" {
        InformationSystem = "information_system",
        Organisation = "organisation",
        Staff = "staff",
        Paper = "paper",
        ElectronicMedia = "electronic_media",
    }
);

code_enum!(
    /// 対応策の選択肢 (図表10).
    Treatment, "risk_treatment" {
        Modify = "modify",
        Retain = "retain",
        Avoid = "avoid",
        Share = "share",
    }
);

code_enum!(
    /// Where an issue (課題, 1.3) comes from.
    IssueSource, "risk_issue_source" {
        InformationSharing = "information_sharing",
        Audit = "audit",
        ItChange = "it_change",
        Exercise = "exercise",
    }
);

code_enum!(
    /// How an event was identified (2.1): from its cause, or from the result whatever the cause.
    Approach, "risk_approach" {
        Cause = "cause",
        Result = "result",
    }
);

code_enum!(
    /// The state of one action of a treatment plan.
    ActionState, "risk_action_state" {
        Planned = "planned",
        InProgress = "in_progress",
        Done = "done",
    }
);

code_enum!(
    /// Why a review task was opened (6.): an advisory received, one a user linked, or the
    /// risk's own review date.
    ReviewReason, "risk_review_reason" {
        Advisory = "advisory",
        Linked = "linked",
        Periodic = "periodic",
    }
);

impl Damage {
    /// 0 for 小 … 2 for 大.
    pub fn rank(self) -> usize {
        self as usize
    }
}

impl Likelihood {
    /// 0 for 低 … 2 for 高.
    pub fn rank(self) -> usize {
        self as usize
    }
}
