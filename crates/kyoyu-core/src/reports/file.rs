//! Filing a new report (第1報): kept as a draft, or sent at once along the route the policy
//! allows (図3) — to the sector's ministry, or to the operator's own CEPTOAR, optionally asking
//! it to anonymise.

use kyoyu_domain::policy::ItemKind;
use kyoyu_domain::policy::route::{may_file, send_targets};
use kyoyu_domain::report::ReportForm;
use kyoyu_domain::{ItemId, OrgId};
use kyoyu_store::Transmitted;

use super::{ReportThread, Upload};
use crate::auth::Session;
use crate::directory::{OrgRef, Refs};
use crate::notify::About;
use crate::{Core, CoreError, Result};
use kyoyu_domain::policy::route::may_attach;

impl Core {
    /// Files a new report: a draft, or sent along the route at once.
    pub async fn create_report(
        &self,
        s: &Session,
        form: ReportForm,
        to: Option<&str>,
        anonymize: bool,
        submit: bool,
    ) -> Result<ReportThread> {
        self.create_report_with(s, form, to, anonymize, submit, None)
            .await
    }

    /// [`Core::create_report`], with `attach` (when given) attached to the first edition in the
    /// same transaction: both or neither.
    pub(crate) async fn create_report_with(
        &self,
        s: &Session,
        mut form: ReportForm,
        to: Option<&str>,
        anonymize: bool,
        submit: bool,
        attach: Option<&Upload<'_>>,
    ) -> Result<ReportThread> {
        form.comment = None;
        let new = attach.map(|up| up.check()).transpose()?;
        self.validate_report_form(&form)?;
        let now = self.now_ts();
        let mut codes: Vec<(String, String)> = form
            .tlp_additions
            .iter()
            .enumerate()
            .map(|(i, code)| (code.to_string(), format!("form.tlp_additions[{i}]")))
            .collect();
        if let Some(code) = to {
            codes.push((code.to_owned(), "route.to".to_owned()));
        }
        // The directory is read before taking the writer, which SQLite's other writers wait
        // for: organisations and their roles change by administration only, and the rows the
        // permit names are checked again by the foreign keys of the write.
        let (dir, mut found) = {
            let mut read = self.store.read().await?;
            self.route_dir_and(&mut read, &s.actor, &[], &codes).await?
        };
        let target = match to {
            Some(_) => found.pop(),
            None => None,
        };
        let named = found.iter().map(|o| o.id).collect();
        let permit = may_file(
            &s.actor,
            &form,
            target.as_ref(),
            anonymize,
            submit,
            named,
            &dir,
        )?;
        form.number = None;
        let mut tx = self.store.begin().await?;
        let (id, sent) = tx.create_report(&permit, &form, &now).await?;
        if let (Some(up), Some(new)) = (attach, &new) {
            let rec = tx.scoped(&s.actor).report(id).await?;
            let permit = may_attach(&s.actor, &rec)?;
            tx.add_report_attachment(&permit, new, up.bytes, &now)
                .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            if submit {
                "report_sent"
            } else {
                "report_drafted"
            },
            format!("report:{id}"),
            serde_json::json!({ "edition": 1 }),
        )
        .await?;
        if let Some(t) = sent {
            self.after_hop(&mut tx, s, id.into(), form.exercise, &t)
                .await?;
        }
        tx.commit().await?;
        self.thread_after(&s.actor, id).await
    }

    /// Where the caller's organisation may send a new report of `sector` (for the form).
    pub async fn report_targets(&self, s: &Session, sector: &str) -> Result<Vec<OrgRef>> {
        let org = s.actor.org().ok_or_else(CoreError::forbidden)?;
        let mut tx = self.store.read().await?;
        let dir = self.route_dir(&mut tx, &s.actor, &[]).await?;
        let ids: Vec<OrgId> = send_targets(org, sector, false, &dir)
            .iter()
            .map(|o| o.id)
            .collect();
        let refs = Refs::load(&mut tx, ids.iter().copied()).await?;
        Ok(ids.into_iter().map(|i| refs.get(i)).collect())
    }

    /// What follows a hop: the recipient is told; on first receipt at NISC everyone on the
    /// route back to the originator is told the number; the hop is audited.
    pub(crate) async fn after_hop(
        &self,
        tx: &mut kyoyu_store::Tx,
        s: &Session,
        item: ItemId,
        exercise: bool,
        t: &Transmitted,
    ) -> Result<()> {
        let drill = Self::drill_prefix(exercise);
        let about = Some(About {
            kind: ItemKind::Report,
            id: item,
            tlp: t.tlp,
        });
        let edition = t.edition.to_string();
        self.notify(
            tx,
            t.to,
            "report_received",
            about,
            &kyoyu_domain::messages::ja(
                "notify.report_received",
                &[("drill", &drill), ("edition", &edition)],
            ),
        )
        .await?;
        if let Some(n) = t.numbered {
            self.audit(
                tx,
                &s.actor,
                "report_numbered",
                format!("report:{item}"),
                serde_json::json!({ "number": format!("R{n}") }),
            )
            .await?;
            let text = kyoyu_domain::messages::ja(
                "notify.report_numbered",
                &[("drill", &drill), ("number", &format!("R{n}"))],
            );
            self.notify_many(tx, &t.route, "report_numbered", about, &text)
                .await?;
        }
        let to: OrgId = t.to;
        let code = tx.org(to).await.map(|o| o.code).map_err(CoreError::from)?;
        self.audit(
            tx,
            &s.actor,
            "report_transmitted",
            format!("report:{item}"),
            serde_json::json!({ "edition": t.edition, "to": code, "anonymized": t.anonymized }),
        )
        .await?;
        Ok(())
    }
}
