//! Inquiries: a ministry the advisory reached asks NISC about it (3.1); NISC answers in that
//! ministry's thread. Each ministry sees only its own thread.

use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::policy::ItemKind;
use kyoyu_domain::policy::distribution::may_inquire;
use kyoyu_domain::{AdvisoryId, Role};
use kyoyu_store::OrgFilter;

use super::AdvisoryView;
use crate::auth::Session;
use crate::notify::About;
use crate::{Core, CoreError, Result};

impl Core {
    /// A question to NISC from a ministry in the advisory's scope, or NISC's answer in a
    /// ministry's thread (`ministry` = that ministry's code).
    pub async fn inquire(
        &self,
        s: &Session,
        id: AdvisoryId,
        text: &str,
        ministry: Option<&str>,
    ) -> Result<AdvisoryView> {
        if text.trim().is_empty() {
            return Err(CoreError::invalid(
                "text",
                Msg::new("invalid.text_required"),
            ));
        }
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let thread = match ministry.filter(|_| s.actor.has_role(Role::Nisc)) {
            Some(code) => Some(self.org_by_code(&mut tx, code, "ministry").await?),
            None => None,
        };
        let permit = may_inquire(&s.actor, &rec, thread.as_ref())?;
        let about = Some(About {
            kind: ItemKind::Advisory,
            id: id.into(),
            tlp: rec.scope().tlp,
        });
        if s.actor.has_role(Role::Nisc) {
            self.notify(
                &mut tx,
                permit.ministry(),
                "inquiry_answered",
                about,
                &ja("notify.inquiry_answered", &[]),
            )
            .await?;
        } else {
            let nisc: Vec<_> = tx
                .orgs(OrgFilter::Role(Role::Nisc))
                .await?
                .into_iter()
                .map(|o| o.id)
                .collect();
            self.notify_many(&mut tx, &nisc, "inquiry", about, &ja("notify.inquiry", &[]))
                .await?;
        }
        tx.add_inquiry(&permit, text.trim(), &self.now_ts()).await?;
        let code = tx.org(permit.ministry()).await?.code;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_inquiry",
            format!("advisory:{id}"),
            serde_json::json!({ "thread": code }),
        )
        .await?;
        tx.commit().await?;
        self.advisory_after(&s.actor, id).await
    }
}
