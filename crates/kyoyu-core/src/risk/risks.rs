//! Identification, analysis and the first evaluation of a risk (Ⅱ.2–4), and the register as
//! the API reads it.

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::risk::RiskOwner;
use kyoyu_domain::risk::{
    Damage, Likelihood, RiskDecision, criteria::without_criteria, priority_of,
};
use kyoyu_store::{RiskColumns, RiskDoc, Tx};

use super::records::RiskRecord;
use super::{
    Asset, EvaluationRecord, HistoryEntry, NewRisk, RiskView, corrupt, frequency, list_len, owner,
    text, title,
};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    /// The evaluation of a level against the criteria in force (or, without criteria, none).
    pub(super) fn evaluate_level(
        &self,
        criteria: Option<&(i64, kyoyu_domain::risk::Criteria)>,
        damage: Damage,
        likelihood: Likelihood,
        frequency: Option<u32>,
    ) -> EvaluationRecord {
        let (e, version) = match criteria {
            Some((v, c)) => (c.evaluate(damage, likelihood, frequency), Some(*v)),
            None => (without_criteria(), None),
        };
        EvaluationRecord {
            decision: e.decision,
            rule: e.rule,
            criteria_version: version,
            reason: None,
            at: self.now_ts(),
        }
    }

    /// Checks that every asset and issue a risk names is the owner's; answers the owner's
    /// assets (the risk's sectors come from them).
    pub(super) async fn check_links(
        &self,
        tx: &mut Tx,
        owner: &RiskOwner,
        assets: &[i64],
        issues: &[i64],
    ) -> Result<Vec<Asset>> {
        list_len("asset_ids", assets)?;
        list_len("issue_ids", issues)?;
        let all = self.assets_of(tx, owner).await?;
        let known: BTreeSet<i64> = all.iter().map(|a| a.id).collect();
        if let Some((i, a)) = assets.iter().enumerate().find(|(_, a)| !known.contains(a)) {
            return Err(CoreError::invalid(
                format!("asset_ids[{i}]"),
                Msg::new("invalid.unknown_asset").arg("id", a),
            ));
        }
        let known: BTreeSet<i64> = self
            .issues_of(tx, owner)
            .await?
            .iter()
            .map(|i| i.id)
            .collect();
        if let Some((i, a)) = issues.iter().enumerate().find(|(_, a)| !known.contains(a)) {
            return Err(CoreError::invalid(
                format!("issue_ids[{i}]"),
                Msg::new("invalid.unknown_issue").arg("id", a),
            ));
        }
        Ok(all)
    }

    /// What the store indexes: the sectors come from the services of the risk's assets, or
    /// from the organisation's own sectors when its assets name none.
    pub(super) fn risk_columns(
        s: &Session,
        assets: &[Asset],
        rec: &RiskRecord,
        criteria_version: Option<i64>,
    ) -> RiskColumns {
        let mut sectors: BTreeSet<String> = assets
            .iter()
            .filter(|a| rec.asset_ids.contains(&a.id))
            .flat_map(|a| a.services.iter().map(|s| s.sector.clone()))
            .filter(|s| !s.is_empty())
            .collect();
        if sectors.is_empty()
            && let kyoyu_domain::policy::Actor::User(u) = &s.actor
            && let Some(org) = &u.org
        {
            sectors.extend(org.sectors.iter().cloned());
            sectors.extend(org.ceptoar_sectors.iter().cloned());
        }
        RiskColumns {
            event: rec.event.code().to_owned(),
            state: rec.state().code().to_owned(),
            priority: rec.priority.code().to_owned(),
            criteria_version,
            causes: rec.causes.iter().map(|c| c.code().to_owned()).collect(),
            sectors: sectors.into_iter().collect(),
        }
    }

    pub async fn create_risk(&self, s: &Session, new: NewRisk) -> Result<RiskView> {
        let owner = owner(s)?;
        let mut causes = new.causes.clone();
        causes.sort();
        causes.dedup();
        frequency("frequency_per_year", new.frequency_per_year)?;
        let mut tx = self.store.begin().await?;
        let assets = self
            .check_links(&mut tx, &owner, &new.asset_ids, &new.issue_ids)
            .await?;
        let criteria = self.criteria_in_force(&mut tx, &owner).await?;
        let evaluation = self.evaluate_level(
            criteria.as_ref(),
            new.damage,
            new.likelihood,
            new.frequency_per_year,
        );
        let rec = RiskRecord {
            title: title("title", &new.title)?,
            asset_ids: new.asset_ids.clone(),
            issue_ids: new.issue_ids.clone(),
            approach: new.approach,
            event: new.event,
            causes,
            consequence: text("consequence", &new.consequence)?,
            impact: text("impact", &new.impact)?,
            damage: new.damage,
            likelihood: new.likelihood,
            frequency_per_year: new.frequency_per_year,
            priority: priority_of(new.damage, new.likelihood),
            priority_set: false,
            evaluation,
            treatment: None,
            residual: None,
            rounds: Vec::new(),
            watch_on: None,
            review_on: new.review_on,
        };
        let cols = Self::risk_columns(s, &assets, &rec, rec.evaluation.criteria_version);
        let body = serde_json::to_string(&rec).map_err(CoreError::internal)?;
        let at = self.now_ts();
        let id = tx.add_risk(&owner, &cols, &body, &at).await?;
        let detail = serde_json::json!({
            "damage": rec.damage, "likelihood": rec.likelihood,
            "frequency_per_year": rec.frequency_per_year, "evaluation": rec.evaluation,
        });
        tx.add_risk_history(&owner, id, "created", &detail.to_string(), &at)
            .await?;
        tx.commit().await?;
        self.risk(s, id).await
    }

    /// The views of all the owner's risks (without history).
    pub(super) async fn risk_views(&self, tx: &mut Tx, owner: &RiskOwner) -> Result<Vec<RiskView>> {
        let current = tx.risk_criteria(owner).await?.map(|c| c.version);
        let mut open: BTreeMap<i64, usize> = BTreeMap::new();
        for r in tx.risk_reviews(owner, false).await? {
            *open.entry(r.risk_id).or_default() += 1;
        }
        tx.risks(owner)
            .await?
            .iter()
            .map(|d| self.risk_view(d, current, open.get(&d.id).copied().unwrap_or(0)))
            .collect()
    }

    pub(super) fn risk_view(
        &self,
        d: &RiskDoc,
        current: Option<i64>,
        open_reviews: usize,
    ) -> Result<RiskView> {
        let rec: RiskRecord = serde_json::from_str(&d.body).map_err(corrupt)?;
        let now = rec.current().clone();
        let today = self.now().date_naive();
        Ok(RiskView {
            id: d.id,
            decision: now.decision,
            decision_rule: now.rule,
            criteria_version: now.criteria_version,
            needs_reevaluation: current.is_some() && now.criteria_version != current,
            state: rec.state(),
            rare_and_severe: kyoyu_domain::risk::rare_and_severe(rec.damage, rec.likelihood),
            review_due: rec.review_on.is_some_and(|r| r <= today)
                || rec.watch_on.is_some_and(|w| w <= today),
            overdue_actions: rec.treatment.as_ref().map_or(0, |t| {
                t.actions
                    .iter()
                    .filter(|a| {
                        a.state != kyoyu_domain::risk::ActionState::Done
                            && a.due_on.is_some_and(|d| d < today)
                    })
                    .count()
            }),
            open_reviews,
            title: rec.title,
            asset_ids: rec.asset_ids,
            issue_ids: rec.issue_ids,
            approach: rec.approach,
            event: rec.event,
            causes: rec.causes,
            consequence: rec.consequence,
            impact: rec.impact,
            damage: rec.damage,
            likelihood: rec.likelihood,
            frequency_per_year: rec.frequency_per_year,
            evaluation: rec.evaluation,
            priority: rec.priority,
            treatment: rec.treatment,
            residual: rec.residual,
            rounds: rec.rounds,
            watch_on: rec.watch_on,
            review_on: rec.review_on,
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
            history: None,
        })
    }

    /// The register: every risk of the caller's organisation, newest first.
    pub async fn risks(&self, s: &Session) -> Result<Vec<RiskView>> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        self.risk_views(&mut tx, &owner).await
    }

    /// One risk with its history; `NotFound` for another organisation's.
    pub async fn risk(&self, s: &Session, id: i64) -> Result<RiskView> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        let d = tx
            .risk(&owner, id)
            .await?
            .ok_or_else(CoreError::not_found)?;
        let current = tx.risk_criteria(&owner).await?.map(|c| c.version);
        let open = tx
            .risk_reviews(&owner, false)
            .await?
            .iter()
            .filter(|r| r.risk_id == id)
            .count();
        let mut view = self.risk_view(&d, current, open)?;
        let history = tx
            .risk_history(&owner, id)
            .await?
            .into_iter()
            .map(|h| HistoryEntry {
                detail: serde_json::from_str(&h.body).unwrap_or(serde_json::Value::Null),
                kind: h.kind,
                by: h.user,
                at: h.at,
            })
            .collect();
        view.history = Some(history);
        Ok(view)
    }
}

/// Whether a decision given in words may be `treat` or `accept` only.
pub(super) fn decided(d: RiskDecision) -> bool {
    d != RiskDecision::Undecided
}
