//! Publication: refused beyond the scope ceiling the sources allow until each limiting
//! source's sender accepted a request; refused with source-lint hits unless NISC gives a
//! written reason (audited). A publication is numbered `T<n>` and delivered to the recipient
//! ministries; a follow-up edition (続報, `T<n>-<k>`) is checked the same way and delivered
//! again to everyone who had the advisory.

use kyoyu_domain::advisory::record::AdvisoryRecord;
use kyoyu_domain::advisory::{self, AdvisoryForm, Limit};
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::distribution::{may_publish, may_publish_follow_up};
use kyoyu_domain::policy::{Actor, ItemKind, OrgFacts, Visible};
use kyoyu_domain::{AdvisoryId, Role};
use kyoyu_store::{OrgFilter, Tx};

use super::sources::scopes;
use super::{AdvisoryView, form_errors, lint_texts};
use crate::auth::Session;
use crate::notify::About;
use crate::{Core, CoreError, Result};

/// What a publication is checked against.
struct Checks {
    limits: Vec<Limit>,
    lint_hits: usize,
    ministries: Vec<OrgFacts>,
}

impl Core {
    async fn publication_checks(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rec: &Visible<AdvisoryRecord>,
        form: &AdvisoryForm,
    ) -> Result<Checks> {
        let sources = self.sources(tx, actor, rec.get()).await?;
        let limits = advisory::exceeded(&scopes(&sources), form.tlp, &form.sectors());
        let needles = self.source_needles(tx, &sources).await?;
        let names: Vec<String> = rec
            .get()
            .attachments
            .iter()
            .map(|a| a.file_name.clone())
            .collect();
        let lint_hits = advisory::lint(&lint_texts(form, &names), &needles).len();
        let ministries = tx
            .org_facts_where(OrgFilter::Role(Role::SectorMinistry), &self.reference())
            .await?;
        Ok(Checks {
            limits,
            lint_hits,
            ministries,
        })
    }

    /// Publishes the draft, numbers it `T<n>` and delivers it to the recipient ministries.
    pub async fn publish_advisory(
        &self,
        s: &Session,
        id: AdvisoryId,
        override_reason: Option<&str>,
    ) -> Result<AdvisoryView> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let form = rec
            .get()
            .current()
            .map(|e| e.form.clone())
            .ok_or_else(|| CoreError::internal("advisory without edition"))?;
        let c = self
            .publication_checks(&mut tx, &s.actor, &rec, &form)
            .await?;
        let permit = may_publish(
            &s.actor,
            &rec,
            &c.limits,
            c.lint_hits,
            override_reason,
            &c.ministries,
        )?;
        if let Some(reason) = permit.lint_override() {
            self.audit(
                &mut tx,
                &s.actor,
                "advisory_lint_overridden",
                format!("advisory:{id}"),
                serde_json::json!({ "hits": c.lint_hits, "reason": reason }),
            )
            .await?;
        }
        let n = tx.publish_advisory(&permit, &self.now_ts()).await?;
        let drill = Self::drill_prefix(rec.get().exercise);
        self.notify_many(
            &mut tx,
            permit.to(),
            "advisory_delivered",
            Some(About {
                kind: ItemKind::Advisory,
                id: id.into(),
                tlp: form.tlp,
            }),
            &ja(
                "notify.advisory_delivered",
                &[("drill", &drill), ("number", &format!("T{n}"))],
            ),
        )
        .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_published",
            format!("advisory:{id}"),
            serde_json::json!({ "number": format!("T{n}") }),
        )
        .await?;
        tx.commit().await?;
        self.risk_reviews_after(id).await;
        self.advisory_after(&s.actor, id).await
    }

    /// NISC files a follow-up edition of a published advisory.
    pub async fn file_advisory_follow_up(
        &self,
        s: &Session,
        id: AdvisoryId,
        mut form: AdvisoryForm,
        override_reason: Option<&str>,
    ) -> Result<AdvisoryView> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        form.comment = None;
        form.number = None;
        form.edition = rec.get().latest_edition() + 1;
        form.exercise = rec.get().exercise;
        form.validate(&self.reference()).map_err(form_errors)?;
        let c = self
            .publication_checks(&mut tx, &s.actor, &rec, &form)
            .await?;
        let permit = may_publish_follow_up(
            &s.actor,
            &rec,
            &form,
            &c.limits,
            c.lint_hits,
            override_reason,
            &c.ministries,
        )?;
        if let Some(reason) = permit.lint_override() {
            self.audit(
                &mut tx,
                &s.actor,
                "advisory_lint_overridden",
                format!("advisory:{id}"),
                serde_json::json!({ "hits": c.lint_hits, "reason": reason }),
            )
            .await?;
        }
        let to = tx.publish_follow_up(&permit, &form, &self.now_ts()).await?;
        let number =
            advisory::edition_number(rec.get().number, permit.edition()).unwrap_or_default();
        let drill = Self::drill_prefix(rec.get().exercise);
        self.notify_many(
            &mut tx,
            &to,
            "advisory_delivered",
            Some(About {
                kind: ItemKind::Advisory,
                id: id.into(),
                tlp: form.tlp.min(rec.scope().tlp),
            }),
            &ja(
                "notify.advisory_follow_up",
                &[("drill", &drill), ("number", &number)],
            ),
        )
        .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_follow_up_published",
            format!("advisory:{id}"),
            serde_json::json!({ "number": number }),
        )
        .await?;
        tx.commit().await?;
        self.risk_reviews_after(id).await;
        self.advisory_after(&s.actor, id).await
    }
}
