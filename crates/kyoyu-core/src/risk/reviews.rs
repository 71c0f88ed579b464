//! Monitoring and review (Ⅱ.6), the external side: an advisory that reaches an organisation
//! and concerns one of its risks — the same sectors, and an event class or a cause the advisory
//! names or the reports it draws on have — opens a review task on that risk and tells the organisation once
//! through the outbox. A user may also link an advisory it sees to a risk by hand. Tasks close
//! with a note.

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::policy::risk::risk_owner;
use kyoyu_domain::policy::{Actor, ItemKind};
use kyoyu_domain::risk::ReviewReason;
use kyoyu_domain::{AdvisoryId, OrgId};
use kyoyu_store::RiskReviewRow;

use super::{ReviewView, owner, text};
use crate::auth::Session;
use crate::notify::About;
use crate::{Core, CoreError, Result};

impl Core {
    fn review_view(
        &self,
        r: &RiskReviewRow,
        titles: &BTreeMap<i64, String>,
        numbers: &BTreeMap<i64, Option<i64>>,
    ) -> ReviewView {
        ReviewView {
            id: r.id,
            risk_id: r.risk_id,
            risk_title: titles.get(&r.risk_id).cloned().unwrap_or_default(),
            reason: ReviewReason::from_code(&r.reason).unwrap_or(ReviewReason::Advisory),
            advisory_id: r.advisory_id.map(AdvisoryId),
            advisory_number: r
                .advisory_id
                .and_then(|a| numbers.get(&a).copied().flatten())
                .map(|n| format!("T{n}")),
            opened_at: r.opened_at.clone(),
            closed_at: r.closed_at.clone(),
            note: r.note.clone(),
        }
    }

    /// The caller's organisation's review tasks: the open ones, or all of them.
    pub async fn risk_reviews(&self, s: &Session, all: bool) -> Result<Vec<ReviewView>> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        let rows = tx.risk_reviews(&owner, all).await?;
        let titles: BTreeMap<i64, String> = self
            .risk_views(&mut tx, &owner)
            .await?
            .into_iter()
            .map(|r| (r.id, r.title))
            .collect();
        // The advisory's number as the caller sees it (it saw the advisory when the task
        // opened; if it no longer may, the number is left out).
        let mut numbers = BTreeMap::new();
        for a in rows
            .iter()
            .filter_map(|r| r.advisory_id)
            .collect::<BTreeSet<_>>()
        {
            let n = match tx.scoped(&s.actor).advisory(AdvisoryId(a)).await {
                Ok(rec) => rec.get().number,
                Err(_) => None,
            };
            numbers.insert(a, n);
        }
        Ok(rows
            .iter()
            .map(|r| self.review_view(r, &titles, &numbers))
            .collect())
    }

    /// A user links an advisory it sees to one of its risks: a review task opens.
    pub async fn link_risk_advisory(
        &self,
        s: &Session,
        risk: i64,
        advisory: AdvisoryId,
    ) -> Result<ReviewView> {
        let owner = owner(s)?;
        let mut tx = self.store.begin().await?;
        tx.risk(&owner, risk)
            .await?
            .ok_or_else(CoreError::not_found)?;
        let number = match tx.scoped(&s.actor).advisory(advisory).await {
            Ok(rec) => rec.get().number,
            Err(_) => {
                return Err(CoreError::invalid(
                    "advisory_id",
                    Msg::new("invalid.unknown_advisory").arg("id", advisory),
                ));
            }
        };
        let at = self.now_ts();
        let Some(id) = tx
            .open_risk_review(
                &owner,
                risk,
                ReviewReason::Linked.code(),
                Some(advisory.0),
                &at,
            )
            .await?
        else {
            return Err(CoreError::with_detail(
                kyoyu_domain::ErrorCode::AlreadyExists,
                Msg::new("invalid.review_exists"),
            ));
        };
        tx.add_risk_history(
            &owner,
            risk,
            "review_opened",
            &serde_json::json!({ "review": id, "advisory_id": advisory, "reason": "linked" })
                .to_string(),
            &at,
        )
        .await?;
        tx.commit().await?;
        let row = RiskReviewRow {
            id,
            risk_id: risk,
            reason: ReviewReason::Linked.code().to_owned(),
            advisory_id: Some(advisory.0),
            opened_at: at,
            closed_at: None,
            note: String::new(),
        };
        let titles = self
            .risk(s, risk)
            .await
            .map(|r| BTreeMap::from([(risk, r.title)]))?;
        Ok(self.review_view(&row, &titles, &BTreeMap::from([(advisory.0, number)])))
    }

    /// Closes an open review task with what was done.
    pub async fn close_risk_review(&self, s: &Session, id: i64, note: &str) -> Result<ReviewView> {
        let owner = owner(s)?;
        let note = text("note", note)?;
        let mut tx = self.store.begin().await?;
        let at = self.now_ts();
        let row = tx.close_risk_review(&owner, id, &note, &at).await?;
        tx.add_risk_history(
            &owner,
            row.risk_id,
            "review_closed",
            &serde_json::json!({ "review": id, "note": note }).to_string(),
            &at,
        )
        .await?;
        tx.commit().await?;
        let titles = self
            .risk(s, row.risk_id)
            .await
            .map(|r| BTreeMap::from([(row.risk_id, r.title)]))?;
        Ok(self.review_view(&row, &titles, &BTreeMap::new()))
    }

    /// After an advisory reached new organisations (publication, a follow-up edition, a
    /// forward): opens a review task on each risk it concerns at each organisation that now
    /// sees it, and notifies each such organisation once. Answers how many tasks opened.
    pub(crate) async fn open_risk_reviews(&self, id: AdvisoryId) -> Result<usize> {
        let mut tx = self.store.begin().await?;
        let adv = tx.scoped(&Actor::System).advisory(id).await?;
        let adv = adv.get();
        let Some(edition) = adv.current() else {
            return Ok(0);
        };
        let form = edition.form.clone();
        let sectors: Vec<String> = form.sectors().into_iter().collect();
        // The advisory's own classification, and that of the reports it draws on.
        let mut events: BTreeSet<String> =
            form.events.iter().map(|e| e.code().to_owned()).collect();
        let mut causes: BTreeSet<String> =
            form.causes.iter().map(|c| c.code().to_owned()).collect();
        for r in &adv.sources {
            let rec = tx.scoped(&Actor::System).report(*r).await?;
            if let Some(v) = rec.get().versions.iter().rev().find(|v| v.sent) {
                events.extend(v.form.event.map(|e| e.code().to_owned()));
                causes.extend(v.form.causes.iter().map(|c| c.code().to_owned()));
            }
        }
        let events: Vec<String> = events.into_iter().collect();
        let causes: Vec<String> = causes.into_iter().collect();
        let candidates = tx.risks_matching(&events, &causes, &sectors).await?;
        let at = self.now_ts();
        let mut opened: BTreeMap<OrgId, usize> = BTreeMap::new();
        for c in candidates {
            let user = tx.user(c.created_by).await?;
            let actor = self.actor_for(&mut tx, &user).await?;
            if tx.scoped(&actor).advisory(id).await.is_err() {
                continue;
            }
            let owner = risk_owner(&actor)?;
            if owner.org() != c.org {
                continue; // the author moved to another organisation; the risk stays put
            }
            if let Some(review) = tx
                .open_risk_review(
                    &owner,
                    c.risk_id,
                    ReviewReason::Advisory.code(),
                    Some(id.0),
                    &at,
                )
                .await?
            {
                tx.add_risk_history(
                    &owner,
                    c.risk_id,
                    "review_opened",
                    &serde_json::json!({ "review": review, "advisory_id": id, "reason": "advisory" })
                        .to_string(),
                    &at,
                )
                .await?;
                *opened.entry(c.org).or_default() += 1;
            }
        }
        let number = adv
            .number
            .map(|n| format!("T{n}"))
            .unwrap_or_else(|| format!("#{id}"));
        for (org, n) in &opened {
            self.notify(
                &mut tx,
                *org,
                "risk_review",
                Some(About {
                    kind: ItemKind::Advisory,
                    id: id.into(),
                    tlp: form.tlp,
                }),
                &ja(
                    "notify.risk_review",
                    &[("number", &number), ("count", &n.to_string())],
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(opened.values().sum())
    }

    /// [`Core::open_risk_reviews`] after a change that has committed: a failure is logged, not
    /// answered, since the advisory's own change stands.
    pub(crate) async fn risk_reviews_after(&self, id: AdvisoryId) {
        if let Err(e) = self.open_risk_reviews(id).await {
            tracing::error!(advisory = id.0, error = %e, "opening risk reviews failed");
        }
    }
}
