//! Passing an advisory on: a ministry to the CEPTOARs and operators of the recipient sectors
//! in its jurisdiction, a CEPTOAR to its members — each only if the TLP admits its sharing
//! contacts (the policy decides, so a forward can never widen the audience).

use std::collections::BTreeSet;

use kyoyu_domain::advisory::record::AdvisoryRecord;
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::distribution::may_deliver;
use kyoyu_domain::policy::{Actor, ItemKind, OrgFacts, Visible};
use kyoyu_domain::{AdvisoryId, Role};
use kyoyu_store::{OrgFilter, Tx};

use super::AdvisoryView;
use crate::auth::Session;
use crate::notify::About;
use crate::{Core, Result};

impl Core {
    /// The organisations the actor might pass the advisory on to, before the policy chooses.
    pub(crate) async fn forward_pool(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rec: &Visible<AdvisoryRecord>,
    ) -> Result<Vec<OrgFacts>> {
        let Some(me) = actor.org() else {
            return Ok(Vec::new());
        };
        if rec.get().delivery_to(me.id).is_none() {
            return Ok(Vec::new());
        }
        let reference = self.reference();
        if me.has(Role::SectorMinistry) {
            let sectors: BTreeSet<String> = rec
                .get()
                .current()
                .map(|e| e.form.sectors())
                .unwrap_or_default()
                .intersection(&me.jurisdiction)
                .cloned()
                .collect();
            Ok(tx
                .org_facts_where(OrgFilter::InSectors(&sectors), &reference)
                .await?)
        } else if me.has(Role::Ceptoar) {
            Ok(tx
                .org_facts_where(OrgFilter::MembersOf(me.id), &reference)
                .await?)
        } else {
            Ok(Vec::new())
        }
    }

    /// A ministry or CEPTOAR passes the advisory on.
    pub async fn forward_advisory(
        &self,
        s: &Session,
        id: AdvisoryId,
        to: &[String],
    ) -> Result<AdvisoryView> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let pool = self.forward_pool(&mut tx, &s.actor, &rec).await?;
        let mut targets = Vec::new();
        for (i, code) in to.iter().enumerate() {
            match pool.iter().find(|o| &o.code == code) {
                Some(o) => targets.push(o.clone()),
                None => targets.push(self.org_by_code(&mut tx, code, &format!("to[{i}]")).await?),
            }
        }
        let refs: Vec<&OrgFacts> = targets.iter().collect();
        let permit = may_deliver(&s.actor, &rec, &refs, &pool)?;
        let added = tx.deliver_advisory(&permit, &self.now_ts()).await?;
        let n = rec.get().number_text().unwrap_or_default();
        let drill = Self::drill_prefix(rec.get().exercise);
        self.notify_many(
            &mut tx,
            &added,
            "advisory_delivered",
            Some(About {
                kind: ItemKind::Advisory,
                id: id.into(),
                tlp: rec.scope().tlp,
            }),
            &ja(
                "notify.advisory_delivered",
                &[("drill", &drill), ("number", &n)],
            ),
        )
        .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_forwarded",
            format!("advisory:{id}"),
            serde_json::json!({ "to": to }),
        )
        .await?;
        tx.commit().await?;
        self.risk_reviews_after(id).await;
        self.advisory_after(&s.actor, id).await
    }
}
