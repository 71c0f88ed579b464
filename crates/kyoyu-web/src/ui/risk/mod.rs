//! The risk pages (seed 004), for the caller's own organisation: the register with the process
//! steps, the review tasks and the heat maps of inherent and residual risk; one risk with its
//! history and the forms of each step; the criteria and their versions; the report for
//! management (経営層); the register as CSV. Everything is read through the core's risk use
//! cases, which answer only the owner's data.

mod actions;
mod criteria;
mod heatmap;
mod pages;
mod report;
mod view;

pub use actions::{
    add_asset, add_criteria, add_issue, close_review, create, link_advisory, update,
};
pub use criteria::criteria_page;
pub use pages::{register, register_csv, register_xlsx};
pub use report::report;
pub use view::risk_page;

use kyoyu_core::risk::RiskView;
use kyoyu_domain::risk::{Damage, Likelihood};

use crate::ui::widgets::t_ja;

/// The level a risk was first analysed at (before any treatment).
fn inherent(r: &RiskView) -> (Damage, Likelihood) {
    r.rounds
        .first()
        .map_or((r.damage, r.likelihood), |x| (x.damage, x.likelihood))
}

/// The level in force after treatment: the residual once judged, else the current level.
fn residual(r: &RiskView) -> (Damage, Likelihood) {
    r.residual
        .as_ref()
        .map_or((r.damage, r.likelihood), |x| (x.damage, x.likelihood))
}

/// One line of the register as a page shows it.
pub struct Line {
    pub id: i64,
    pub title: String,
    pub event: String,
    pub level: String,
    pub residual: String,
    pub decision: String,
    pub rule: String,
    pub state: String,
    pub state_code: String,
    pub priority: String,
    pub priority_code: String,
    pub flags: Vec<String>,
    pub updated: String,
}

fn line(r: &RiskView) -> Line {
    let (d, l) = inherent(r);
    let (rd, rl) = residual(r);
    let mut flags = Vec::new();
    if r.needs_reevaluation {
        flags.push(t_ja("risk.flag_reevaluate").to_owned());
    }
    if r.review_due {
        flags.push(t_ja("risk.flag_review_due").to_owned());
    }
    if r.open_reviews > 0 {
        flags.push(format!(
            "{}（{}）",
            t_ja("risk.flag_reviews"),
            r.open_reviews
        ));
    }
    if r.overdue_actions > 0 {
        flags.push(format!(
            "{}（{}）",
            t_ja("risk.flag_overdue"),
            r.overdue_actions
        ));
    }
    if r.rare_and_severe {
        flags.push(t_ja("risk.flag_rare_severe").to_owned());
    }
    Line {
        id: r.id,
        title: r.title.clone(),
        event: r.event.label().to_owned(),
        level: format!("{} × {}", d.label(), l.label()),
        residual: format!("{} × {}", rd.label(), rl.label()),
        decision: r.decision.label().to_owned(),
        rule: r.decision_rule.label().to_owned(),
        state: r.state.label().to_owned(),
        state_code: r.state.code().to_owned(),
        priority: r.priority.label().to_owned(),
        priority_code: r.priority.code().to_owned(),
        flags,
        updated: crate::ui::widgets::show_time(&r.updated_at),
    }
}
