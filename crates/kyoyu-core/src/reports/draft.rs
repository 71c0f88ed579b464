//! Drafts: the organisation writing an edition saves it as often as it likes, then sends it —
//! a first edition along the route it chooses then, a follow-up to the route's first recipient.

use kyoyu_domain::ReportId;
use kyoyu_domain::policy::route::{may_edit_draft, may_submit_draft};
use kyoyu_domain::report::ReportForm;

use super::ReportThread;
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    /// Replaces the form of the caller's draft.
    pub async fn update_draft(
        &self,
        s: &Session,
        id: ReportId,
        mut form: ReportForm,
    ) -> Result<ReportThread> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).report(id).await?;
        let edition = s
            .actor
            .org()
            .and_then(|o| rec.get().draft_of(o.id))
            .map(|d| d.edition);
        form.comment = None;
        form.number = None;
        if let Some(e) = edition {
            form.edition = e;
        }
        self.validate_report_form(&form)?;
        let permit = may_edit_draft(&s.actor, &rec, &form)?;
        tx.save_draft(&permit, &form, &self.now_ts()).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_draft_saved",
            format!("report:{id}"),
            serde_json::json!({ "edition": permit.edition() }),
        )
        .await?;
        tx.commit().await?;
        self.thread_after(&s.actor, id).await
    }

    /// Sends the caller's draft: the first edition to `to`, a follow-up to the route's first
    /// recipient.
    pub async fn submit_draft(
        &self,
        s: &Session,
        id: ReportId,
        to: Option<&str>,
        anonymize: bool,
    ) -> Result<ReportThread> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).report(id).await?;
        let target = match to {
            Some(code) => Some(self.org_by_code(&mut tx, code, "to").await?),
            None => None,
        };
        let first = rec.get().first_hop().into_iter().collect::<Vec<_>>();
        let dir = self.route_dir(&mut tx, &s.actor, &first).await?;
        let permit = may_submit_draft(&s.actor, &rec, target.as_ref(), anonymize, &dir)?;
        let form = rec
            .get()
            .version(permit.version())
            .map(|v| v.form.clone())
            .ok_or_else(|| CoreError::internal("the draft is missing"))?;
        self.validate_report_form(&form)?;
        let t = tx.send_draft(&permit, &form, &self.now_ts()).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_sent",
            format!("report:{id}"),
            serde_json::json!({ "edition": permit.edition() }),
        )
        .await?;
        let exercise = rec.get().exercise();
        self.after_hop(&mut tx, s, id.into(), exercise, &t).await?;
        tx.commit().await?;
        self.thread_after(&s.actor, id).await
    }
}
