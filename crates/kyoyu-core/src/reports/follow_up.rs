//! Follow-ups (続報): the originating organisation adds an edition — what it knows now — sent
//! to the route's first recipient (and passed on hop by hop like the first), or kept as a draft.

use kyoyu_domain::ReportId;
use kyoyu_domain::policy::route::may_follow_up;
use kyoyu_domain::report::ReportForm;

use super::ReportThread;
use crate::auth::Session;
use crate::{Core, Result};

impl Core {
    /// Files a follow-up from the originating organisation, sent to the route's first
    /// recipient (or kept as a draft).
    pub async fn file_follow_up(
        &self,
        s: &Session,
        id: ReportId,
        mut form: ReportForm,
        submit: bool,
    ) -> Result<ReportThread> {
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).report(id).await?;
        let first = rec.get().first_hop().into_iter().collect::<Vec<_>>();
        let dir = self.route_dir(&mut tx, &s.actor, &first).await?;
        form.comment = None;
        form.number = None;
        form.edition = rec.get().max_edition() + 1;
        self.validate_report_form(&form)?;
        let permit = may_follow_up(&s.actor, &rec, &form, submit, &dir)?;
        let sent = tx.add_follow_up(&permit, &form, &self.now_ts()).await?;
        self.audit(
            &mut tx,
            &s.actor,
            if submit {
                "report_sent"
            } else {
                "report_drafted"
            },
            format!("report:{id}"),
            serde_json::json!({ "edition": permit.edition() }),
        )
        .await?;
        if let Some(t) = sent {
            let exercise = rec.get().exercise() || form.exercise;
            self.after_hop(&mut tx, s, id.into(), exercise, &t).await?;
        }
        tx.commit().await?;
        self.thread_after(&s.actor, id).await
    }
}
