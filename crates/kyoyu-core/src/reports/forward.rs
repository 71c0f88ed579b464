//! Passing a report on along the route (CEPTOAR → ministry → NISC): as received, corrected
//! (a new version of the edition; the received one is kept), and at the reporter's CEPTOAR
//! anonymised — the operator's name withheld, the CEPTOAR as the reporting contact, and the
//! reporter's names, codes, e-mail and phone replaced wherever they appear in the text.

use kyoyu_domain::ReportId;
use kyoyu_domain::policy::route::may_forward;
use kyoyu_domain::report::{Contact, ReportForm};

use super::ReportThread;
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    /// Passes the edition waiting at the caller's organisation on to `to`, optionally
    /// anonymised and/or with a corrected form. The TLP may be narrowed, never widened.
    pub async fn forward_report(
        &self,
        s: &Session,
        id: ReportId,
        to: &str,
        anonymize: Option<bool>,
        form: Option<ReportForm>,
    ) -> Result<ReportThread> {
        let mut form = form;
        if let Some(f) = form.as_mut() {
            f.comment = None;
            f.number = None;
        }
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).report(id).await?;
        let target = self.org_by_code(&mut tx, to, "to").await?;
        let dir = self.route_dir(&mut tx, &s.actor, &[]).await?;
        if let Some(f) = form.as_mut() {
            // The edition is the one waiting; the rest of the form is checked as filed.
            if let Some(ed) = s
                .actor
                .org()
                .and_then(|o| rec.get().pending_at(o.id).first().copied())
            {
                f.edition = ed;
            }
            self.validate_report_form(f)?;
        }
        let permit = may_forward(&s.actor, &rec, &target, anonymize, form.as_ref(), &dir)?;
        let corrected = if permit.anonymize() {
            let r = rec.get();
            let received = r
                .version(permit.received())
                .ok_or_else(|| CoreError::internal("the received version is missing"))?;
            let base = form.take().unwrap_or_else(|| received.form.clone());
            // Who the reporter is, from the full record the CEPTOAR may see.
            let origin = tx.org(r.origin_org).await?;
            let reporter = tx.user(r.origin_user).await?;
            let identifying = vec![
                origin.name_ja.clone(),
                origin.name_en.clone(),
                origin.code.clone(),
                reporter.name,
                reporter.email,
            ];
            let me = s.actor.org().ok_or_else(CoreError::forbidden)?;
            let me = tx.org(me.id).await?;
            let contact = Contact {
                organization: me.name_ja,
                department: String::new(),
                person: s.name.clone(),
                phone: String::new(),
                fax: String::new(),
                email: s.email.clone(),
            };
            Some(base.anonymized(&identifying, contact))
        } else {
            form
        };
        let exercise = rec.get().exercise() || corrected.as_ref().is_some_and(|f| f.exercise);
        let t = tx
            .forward_report(&permit, corrected.as_ref(), &self.now_ts())
            .await?;
        self.after_hop(&mut tx, s, id.into(), exercise, &t).await?;
        tx.commit().await?;
        self.thread_after(&s.actor, id).await
    }
}
