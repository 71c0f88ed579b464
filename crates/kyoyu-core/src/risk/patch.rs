//! Changing a risk: edits, a new analysis and its re-evaluation (4.1.1), a judgement where
//! there are no criteria, an override of the criteria with its reason (audited), the choice of
//! treatment with its plan and requirements (5.1), and the residual re-evaluation that sends
//! the risk round the loop once more while it still falls short (5.1.5). Every change is kept
//! in the risk's history.

use kyoyu_domain::messages::Msg;
use kyoyu_domain::risk::{DecisionRule, RiskDecision, Treatment, priority_of};

use super::records::RiskRecord;
use super::risks::decided;
use super::{
    Action, EvaluationRecord, Residual, RiskPatch, RiskView, Round, TreatmentPlan,
    TreatmentRequest, Verdict, corrupt, frequency, list_len, owner, text, title,
};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

type History = Vec<(&'static str, serde_json::Value)>;

fn required_reason(field: &str, v: &Verdict) -> Result<String> {
    if !decided(v.decision) {
        return Err(CoreError::invalid(
            format!("{field}.decision"),
            Msg::new("invalid.judgement_decision"),
        ));
    }
    let reason = text(&format!("{field}.reason"), &v.reason)?;
    if reason.is_empty() {
        return Err(CoreError::invalid(
            format!("{field}.reason"),
            Msg::new("invalid.reason_needed"),
        ));
    }
    Ok(reason)
}

/// A checked plan; `actions_field` names the list of actions in errors.
fn plan(req: TreatmentRequest, at: String, actions_field: &str) -> Result<TreatmentPlan> {
    list_len(actions_field, &req.actions)?;
    list_len("treatment.requirements", &req.requirements)?;
    let c = req.considerations;
    let considerations = super::Considerations {
        severity: text("treatment.considerations.severity", &c.severity)?,
        feasibility: text("treatment.considerations.feasibility", &c.feasibility)?,
        spread: text("treatment.considerations.spread", &c.spread)?,
        laws: text("treatment.considerations.laws", &c.laws)?,
        business: text("treatment.considerations.business", &c.business)?,
        social: text("treatment.considerations.social", &c.social)?,
        cost_benefit: text("treatment.considerations.cost_benefit", &c.cost_benefit)?,
    };
    let actions = req
        .actions
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            Ok(Action {
                title: title(&format!("{actions_field}[{i}].title"), &a.title)?,
                owner: text(&format!("{actions_field}[{i}].owner"), &a.owner)?,
                ..a
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let requirements = req
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = format!("treatment.requirements[{i}]");
            let t = text(&field, r)?;
            if t.is_empty() {
                return Err(CoreError::invalid(field, Msg::new("invalid.text_required")));
            }
            Ok(t)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TreatmentPlan {
        option: req.option,
        considerations,
        actions,
        requirements,
        chosen_at: at,
    })
}

impl Core {
    /// The residual level judged: accepted, it stays as the risk's evaluation in force; still
    /// short of the criteria, the round is kept and the risk goes back to treatment at that
    /// level.
    fn settle_residual(&self, rec: &mut RiskRecord, residual: Residual, history: &mut History) {
        if residual.evaluation.decision == RiskDecision::Treat
            && let Some(treatment) = rec.treatment.take()
        {
            history.push((
                "another_round",
                serde_json::json!({ "residual": residual, "round": rec.rounds.len() + 2 }),
            ));
            rec.rounds.push(Round {
                damage: rec.damage,
                likelihood: rec.likelihood,
                treatment,
                residual: residual.clone(),
            });
            rec.damage = residual.damage;
            rec.likelihood = residual.likelihood;
            if !rec.priority_set {
                rec.priority = priority_of(rec.damage, rec.likelihood);
            }
            rec.evaluation = residual.evaluation;
            rec.residual = None;
        } else {
            history.push(("residual", serde_json::json!({ "residual": residual })));
            rec.residual = Some(residual);
        }
    }

    fn apply_verdict(
        &self,
        rec: &mut RiskRecord,
        decision: RiskDecision,
        rule: DecisionRule,
        reason: String,
        version: Option<i64>,
    ) -> EvaluationRecord {
        let e = EvaluationRecord {
            decision,
            rule,
            criteria_version: version,
            reason: Some(reason),
            at: self.now_ts(),
        };
        match rec.residual.as_mut() {
            Some(r) => r.evaluation = e.clone(),
            None => rec.evaluation = e.clone(),
        }
        e
    }

    /// Applies a patch to a risk of the caller's organisation.
    pub async fn update_risk(&self, s: &Session, id: i64, p: RiskPatch) -> Result<RiskView> {
        let owner = owner(s)?;
        frequency("frequency_per_year", p.frequency_per_year)?;
        let mut tx = self.store.begin().await?;
        let d = tx
            .risk(&owner, id)
            .await?
            .ok_or_else(CoreError::not_found)?;
        let mut rec: RiskRecord = serde_json::from_str(&d.body).map_err(corrupt)?;
        let criteria = self.criteria_in_force(&mut tx, &owner).await?;
        let mut history: History = Vec::new();
        let mut edited = serde_json::Map::new();

        if let Some(t) = &p.title {
            rec.title = title("title", t)?;
            edited.insert("title".into(), rec.title.clone().into());
        }
        // The owner's assets, once read (the risk's sectors come from them).
        let mut linked = None;
        if p.asset_ids.is_some() || p.issue_ids.is_some() {
            let assets = p.asset_ids.clone().unwrap_or_else(|| rec.asset_ids.clone());
            let issues = p.issue_ids.clone().unwrap_or_else(|| rec.issue_ids.clone());
            linked = Some(self.check_links(&mut tx, &owner, &assets, &issues).await?);
            rec.asset_ids = assets;
            rec.issue_ids = issues;
            edited.insert("asset_ids".into(), serde_json::json!(rec.asset_ids));
            edited.insert("issue_ids".into(), serde_json::json!(rec.issue_ids));
        }
        if let Some(e) = p.event {
            rec.event = e;
            edited.insert("event".into(), serde_json::json!(e));
        }
        if let Some(c) = &p.causes {
            let mut c = c.clone();
            c.sort();
            c.dedup();
            edited.insert("causes".into(), serde_json::json!(c));
            rec.causes = c;
        }
        if let Some(t) = &p.consequence {
            rec.consequence = text("consequence", t)?;
            edited.insert("consequence".into(), rec.consequence.clone().into());
        }
        if let Some(t) = &p.impact {
            rec.impact = text("impact", t)?;
            edited.insert("impact".into(), rec.impact.clone().into());
        }
        if let Some(w) = p.watch_on {
            rec.watch_on = Some(w);
            edited.insert("watch_on".into(), serde_json::json!(w));
        }
        if let Some(r) = p.review_on {
            rec.review_on = Some(r);
            edited.insert("review_on".into(), serde_json::json!(r));
        }
        if let Some(pr) = p.priority {
            rec.priority = pr;
            rec.priority_set = true;
            edited.insert("priority".into(), serde_json::json!(pr));
        }
        if !edited.is_empty() {
            history.push(("edited", serde_json::Value::Object(edited)));
        }

        // Analysis (Ⅱ.3) and evaluation (Ⅱ.4).
        let level_changed = p.damage.is_some_and(|v| v != rec.damage)
            || p.likelihood.is_some_and(|v| v != rec.likelihood)
            || p.frequency_per_year
                .is_some_and(|v| Some(v) != rec.frequency_per_year);
        if level_changed {
            rec.damage = p.damage.unwrap_or(rec.damage);
            rec.likelihood = p.likelihood.unwrap_or(rec.likelihood);
            rec.frequency_per_year = p.frequency_per_year.or(rec.frequency_per_year);
            if !rec.priority_set {
                rec.priority = priority_of(rec.damage, rec.likelihood);
            }
            history.push((
                "analysed",
                serde_json::json!({ "damage": rec.damage, "likelihood": rec.likelihood, "frequency_per_year": rec.frequency_per_year }),
            ));
        }
        if level_changed || p.reevaluate {
            rec.evaluation = self.evaluate_level(
                criteria.as_ref(),
                rec.damage,
                rec.likelihood,
                rec.frequency_per_year,
            );
            history.push((
                "evaluated",
                serde_json::json!({ "evaluation": rec.evaluation }),
            ));
            if let Some(r) = rec.residual.take() {
                let evaluation = self.evaluate_level(
                    criteria.as_ref(),
                    r.damage,
                    r.likelihood,
                    rec.frequency_per_year,
                );
                let residual = Residual { evaluation, ..r };
                self.settle_residual(&mut rec, residual, &mut history);
            }
        }

        if let Some(v) = &p.judgement {
            if criteria.is_some() {
                return Err(CoreError::invalid(
                    "judgement",
                    Msg::new("invalid.judgement_with_criteria"),
                ));
            }
            let reason = required_reason("judgement", v)?;
            let e = self.apply_verdict(&mut rec, v.decision, DecisionRule::Judgement, reason, None);
            self.audit(
                &mut tx,
                &s.actor,
                "risk_judged",
                format!("risk:{id}"),
                serde_json::json!({ "decision": e.decision, "reason": e.reason }),
            )
            .await?;
            history.push(("judged", serde_json::json!({ "evaluation": e })));
        }
        if let Some(v) = &p.override_ {
            let Some((version, _)) = &criteria else {
                return Err(CoreError::invalid(
                    "override",
                    Msg::new("invalid.no_criteria_yet"),
                ));
            };
            let reason = required_reason("override", v)?;
            let e = self.apply_verdict(
                &mut rec,
                v.decision,
                DecisionRule::Override,
                reason,
                Some(*version),
            );
            self.audit(
                &mut tx,
                &s.actor,
                "risk_overridden",
                format!("risk:{id}"),
                serde_json::json!({ "decision": e.decision, "reason": e.reason, "criteria_version": version }),
            )
            .await?;
            history.push(("overridden", serde_json::json!({ "evaluation": e })));
        }

        // Treatment (Ⅱ.5).
        if let Some(req) = p.treatment {
            let decision = rec.current().decision;
            if req.option == Treatment::Retain {
                if decision != RiskDecision::Accept {
                    return Err(CoreError::invalid(
                        "treatment.option",
                        Msg::new("invalid.retain_needs_acceptance"),
                    ));
                }
                if rec.watch_on.is_none() {
                    return Err(CoreError::invalid(
                        "watch_on",
                        Msg::new("invalid.watch_date_required"),
                    ));
                }
            } else if decision != RiskDecision::Treat {
                return Err(CoreError::invalid(
                    "treatment.option",
                    Msg::new("invalid.treatment_needs_treat"),
                ));
            }
            let plan = plan(req, self.now_ts(), "treatment.actions")?;
            history.push(("treatment", serde_json::json!({ "treatment": plan })));
            rec.treatment = Some(plan);
            rec.residual = None;
        }
        if let Some(actions) = p.actions {
            let Some(t) = rec.treatment.as_mut() else {
                return Err(CoreError::invalid(
                    "actions",
                    Msg::new("invalid.actions_without_treatment"),
                ));
            };
            let checked = plan(
                TreatmentRequest {
                    option: t.option,
                    considerations: t.considerations.clone(),
                    actions,
                    requirements: t.requirements.clone(),
                },
                t.chosen_at.clone(),
                "actions",
            )?;
            history.push(("actions", serde_json::json!({ "actions": checked.actions })));
            t.actions = checked.actions;
        }
        if let Some(level) = p.residual {
            if rec
                .treatment
                .as_ref()
                .is_none_or(|t| t.option == Treatment::Retain)
            {
                return Err(CoreError::invalid(
                    "residual",
                    Msg::new("invalid.residual_without_treatment"),
                ));
            }
            let evaluation = self.evaluate_level(
                criteria.as_ref(),
                level.damage,
                level.likelihood,
                rec.frequency_per_year,
            );
            let residual = Residual {
                damage: level.damage,
                likelihood: level.likelihood,
                evaluation,
            };
            self.settle_residual(&mut rec, residual, &mut history);
        }

        if !history.is_empty() {
            let assets = match linked {
                Some(a) => a,
                None => self.assets_of(&mut tx, &owner).await?,
            };
            let cols = Self::risk_columns(s, &assets, &rec, rec.current().criteria_version);
            let body = serde_json::to_string(&rec).map_err(CoreError::internal)?;
            let at = self.now_ts();
            tx.update_risk(&owner, id, &cols, &body, &at).await?;
            for (kind, detail) in history {
                tx.add_risk_history(&owner, id, kind, &detail.to_string(), &at)
                    .await?;
            }
            tx.commit().await?;
        }
        self.risk(s, id).await
    }
}
