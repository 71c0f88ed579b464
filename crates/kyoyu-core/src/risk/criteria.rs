//! リスク判定基準 (1.2): read the version in force, write a new one. A version never changes;
//! a new one leaves every risk judged under an older one flagged for re-evaluation.

use kyoyu_domain::risk::Criteria;
use kyoyu_store::{CriteriaRow, Tx};

use super::{CriteriaVersion, CriteriaView, corrupt, owner};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    pub(super) fn criteria_version(&self, row: &CriteriaRow) -> Result<CriteriaVersion> {
        let criteria: Criteria = serde_json::from_str(&row.body).map_err(corrupt)?;
        let today = self.now().date_naive();
        Ok(CriteriaVersion {
            version: row.version,
            review_due: criteria.review_on.is_some_and(|d| d <= today),
            criteria,
            created_at: row.created_at.clone(),
        })
    }

    /// The criteria in force, if any, with their number.
    pub(super) async fn criteria_in_force(
        &self,
        tx: &mut Tx,
        owner: &kyoyu_domain::policy::risk::RiskOwner,
    ) -> Result<Option<(i64, Criteria)>> {
        match tx.risk_criteria(owner).await? {
            Some(row) => {
                let c: Criteria = serde_json::from_str(&row.body).map_err(corrupt)?;
                Ok(Some((row.version, c)))
            }
            None => Ok(None),
        }
    }

    pub async fn risk_criteria(&self, s: &Session) -> Result<CriteriaView> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        let versions = tx
            .risk_criteria_versions(&owner)
            .await?
            .iter()
            .map(|r| self.criteria_version(r))
            .collect::<Result<Vec<_>>>()?;
        let current = versions.first().cloned();
        let risks = self.risk_views(&mut tx, &owner).await?;
        Ok(CriteriaView {
            version: current.as_ref().map(|c| c.version),
            current,
            risks_to_reevaluate: risks.iter().filter(|r| r.needs_reevaluation).count(),
            versions,
        })
    }

    /// Writes a new version of the criteria; answers it.
    pub async fn add_risk_criteria(
        &self,
        s: &Session,
        criteria: Criteria,
    ) -> Result<CriteriaVersion> {
        let owner = owner(s)?;
        criteria
            .check()
            .map_err(|(field, msg)| CoreError::invalid(field, msg))?;
        let criteria = Criteria {
            evaluation: trimmed(criteria.evaluation),
            impact: trimmed(criteria.impact),
            acceptance: trimmed(criteria.acceptance),
            ..criteria
        };
        let body = serde_json::to_string(&criteria).map_err(CoreError::internal)?;
        let mut tx = self.store.begin().await?;
        let at = self.now_ts();
        let version = tx.add_risk_criteria(&owner, &body, &at).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "risk_criteria_added",
            format!("risk_criteria:{version}"),
            serde_json::json!({ "version": version }),
        )
        .await?;
        tx.commit().await?;
        self.criteria_version(&CriteriaRow {
            version,
            body,
            created_by: s.user_id,
            created_at: at,
        })
    }
}

fn trimmed(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.trim().to_owned()).collect()
}
