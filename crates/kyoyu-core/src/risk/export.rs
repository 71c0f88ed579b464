//! The register as CSV for Excel (UTF-8 with BOM, formulas made inert) and as an Excel sheet
//! (every cell text), Japanese headers.

use kyoyu_domain::messages::ja;

use super::RiskView;
use crate::auth::Session;
use crate::documents::Download;
use crate::{Core, CoreError, Result};

const COLUMNS: [&str; 15] = [
    "risk.csv_id",
    "risk.csv_title",
    "risk.csv_event",
    "risk.csv_causes",
    "risk.csv_damage",
    "risk.csv_likelihood",
    "risk.csv_decision",
    "risk.csv_rule",
    "risk.csv_criteria",
    "risk.csv_state",
    "risk.csv_priority",
    "risk.csv_treatment",
    "risk.csv_residual",
    "risk.csv_requirements",
    "risk.csv_updated",
];

/// Every security requirement (対応要件) the plans of a risk yielded, round by round.
pub fn requirements(r: &RiskView) -> Vec<String> {
    r.rounds
        .iter()
        .map(|x| &x.treatment)
        .chain(r.treatment.as_ref())
        .flat_map(|p| p.requirements.clone())
        .collect()
}

fn row(r: &RiskView) -> Vec<String> {
    let sep = ja("common.list_separator", &[]);
    let (rd, rl) = r
        .residual
        .as_ref()
        .map_or((r.damage, r.likelihood), |x| (x.damage, x.likelihood));
    vec![
        r.id.to_string(),
        r.title.clone(),
        r.event.label().to_owned(),
        r.causes
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(&sep),
        r.damage.label().to_owned(),
        r.likelihood.label().to_owned(),
        r.decision.label().to_owned(),
        r.decision_rule.label().to_owned(),
        r.criteria_version
            .map(|v| v.to_string())
            .unwrap_or_default(),
        r.state.label().to_owned(),
        r.priority.label().to_owned(),
        r.treatment
            .as_ref()
            .map(|t| t.option.label().to_owned())
            .unwrap_or_default(),
        format!("{} × {}", rd.label(), rl.label()),
        requirements(r).join(&ja("common.reason_separator", &[])),
        crate::documents::csv::jst(&r.updated_at),
    ]
}

impl Core {
    /// The caller's organisation's register as CSV.
    pub async fn risk_register_csv(&self, s: &Session) -> Result<Download> {
        let risks = self.risks(s).await?;
        let header: Vec<String> = COLUMNS.iter().map(|k| ja(k, &[])).collect();
        crate::documents::csv::csv("risk-register", &header, risks.iter().map(row).collect())
    }

    /// The same register as an Excel sheet (リスク登録簿).
    pub async fn risk_register_xlsx(&self, s: &Session) -> Result<Download> {
        let risks = self.risks(s).await?;
        let header: Vec<String> = COLUMNS.iter().map(|k| ja(k, &[])).collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = risks.iter().map(row).collect();
        let bytes = kyoyu_forms::table::xlsx(&ja("risk.register", &[]), &header, &rows)
            .map_err(CoreError::internal)?;
        Ok(Download {
            file_name: "risk-register.xlsx".to_owned(),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                .to_owned(),
            bytes,
            zipped: false,
        })
    }
}
