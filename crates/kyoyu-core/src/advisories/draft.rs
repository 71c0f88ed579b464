//! NISC drafts an advisory (図7/図8), optionally from source reports, and edits the draft
//! until it is published.

use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::policy::distribution::{may_attach, may_draft, may_edit};
use kyoyu_domain::{AdvisoryId, ReportId};

use super::{AdvisoryView, form_errors};
use crate::auth::Session;
use crate::reports::Upload;
use crate::{Core, Result};

impl Core {
    /// NISC drafts an advisory, optionally from source reports.
    pub async fn create_advisory(
        &self,
        s: &Session,
        form: AdvisoryForm,
        sources: &[ReportId],
    ) -> Result<AdvisoryView> {
        self.create_advisory_with(s, form, sources, None).await
    }

    /// [`Core::create_advisory`], with `attach` (when given) attached in the same transaction:
    /// both or neither.
    pub(crate) async fn create_advisory_with(
        &self,
        s: &Session,
        mut form: AdvisoryForm,
        sources: &[ReportId],
        attach: Option<&Upload<'_>>,
    ) -> Result<AdvisoryView> {
        let permit = may_draft(&s.actor)?;
        let new = attach.map(|up| up.check()).transpose()?;
        form.comment = None;
        form.number = None;
        form.edition = 1;
        form.validate(&self.reference()).map_err(form_errors)?;
        let mut tx = self.store.begin().await?;
        self.check_sources(&mut tx, &s.actor, sources).await?;
        let now = self.now_ts();
        let id = tx.create_advisory(&permit, &form, sources, &now).await?;
        if let (Some(up), Some(new)) = (attach, &new) {
            let rec = tx.scoped(&s.actor).advisory(id).await?;
            let permit = may_attach(&s.actor, &rec)?;
            tx.add_advisory_attachment(&permit, new, up.bytes, &now)
                .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_drafted",
            format!("advisory:{id}"),
            serde_json::json!({ "sources": sources }),
        )
        .await?;
        tx.commit().await?;
        self.advisory_after(&s.actor, id).await
    }

    /// NISC edits a draft (form and sources).
    pub async fn update_advisory(
        &self,
        s: &Session,
        id: AdvisoryId,
        mut form: AdvisoryForm,
        sources: &[ReportId],
    ) -> Result<AdvisoryView> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let permit = may_edit(&s.actor, &rec)?;
        form.comment = None;
        form.number = None;
        form.edition = 1;
        form.validate(&self.reference()).map_err(form_errors)?;
        self.check_sources(&mut tx, &s.actor, sources).await?;
        tx.update_advisory(&permit, &form, sources, &self.now_ts())
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_edited",
            format!("advisory:{id}"),
            serde_json::json!({ "sources": sources }),
        )
        .await?;
        tx.commit().await?;
        self.advisory_after(&s.actor, id).await
    }
}
