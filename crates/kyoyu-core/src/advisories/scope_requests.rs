//! Scope-change requests: NISC asks the sender of each source that limits a draft to accept
//! a wider scope (for an anonymised report, its CEPTOAR, so that NISC never learns the
//! reporter); the addressed organisation's sharing contact accepts or declines, once.

use kyoyu_domain::ScopeRequestId;
use kyoyu_domain::advisory;
use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::policy::distribution::{may_decide, may_request_scope, scope_request_addressee};
use kyoyu_domain::{AdvisoryId, ErrorCode, Role};
use kyoyu_store::{OrgFilter, RequestWithContext};

use super::sources::scopes;
use super::{AdvisoryView, ScopeRequestView};
use crate::auth::Session;
use crate::notify::About;
use crate::{Core, CoreError, Result};

pub(crate) fn request_view(r: &RequestWithContext) -> ScopeRequestView {
    let q = &r.request;
    ScopeRequestView {
        id: q.id,
        advisory_id: q.advisory,
        report_number: r.report_number.clone(),
        wanted_tlp: q.wanted_tlp,
        wanted_sectors: q.wanted_sectors.clone(),
        reason: q.reason.clone(),
        state: q.state.code().to_owned(),
        requested_at: q.requested_at.clone(),
        decided_at: q.decided_at.clone(),
        decision_note: q.decision_note.clone(),
        advisory_overview: r.advisory_overview.clone(),
    }
}

impl Core {
    /// Asks the sender of each source that limits the draft to accept its scope.
    pub async fn request_scope_change(
        &self,
        s: &Session,
        id: AdvisoryId,
        reason: &str,
    ) -> Result<AdvisoryView> {
        if reason.trim().is_empty() {
            return Err(CoreError::invalid(
                "reason",
                Msg::new("invalid.reason_required"),
            ));
        }
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let form = rec
            .get()
            .current()
            .map(|e| e.form.clone())
            .ok_or_else(|| CoreError::internal("advisory without edition"))?;
        let sources = self.sources(&mut tx, &s.actor, rec.get()).await?;
        let limits = advisory::exceeded(&scopes(&sources), form.tlp, &form.sectors());
        let permit = may_request_scope(&s.actor, &rec, &limits)?;
        let now = self.now_ts();
        let wanted: Vec<String> = form.sectors().into_iter().collect();
        for limit in &limits {
            let pending = rec.get().requests.iter().any(|q| {
                q.report == limit.report_id
                    && q.state == kyoyu_domain::advisory::record::RequestState::Pending
            });
            if pending {
                continue;
            }
            let Some(source) = sources
                .iter()
                .find(|x| x.scope.report_id == limit.report_id)
            else {
                continue;
            };
            let to = scope_request_addressee(&source.rec);
            let rid = tx
                .add_scope_request(
                    &permit,
                    limit.report_id,
                    to,
                    form.tlp,
                    &wanted,
                    reason.trim(),
                    &now,
                )
                .await?;
            self.notify(
                &mut tx,
                to,
                "scope_request",
                Some(About {
                    kind: kyoyu_domain::policy::ItemKind::Report,
                    id: limit.report_id.into(),
                    tlp: source.scope.tlp,
                }),
                &ja("notify.scope_request", &[("number", &limit.number)]),
            )
            .await?;
            self.audit(
                &mut tx,
                &s.actor,
                "scope_change_requested",
                format!("advisory:{id}"),
                serde_json::json!({ "request": rid, "report": limit.report_id }),
            )
            .await?;
        }
        tx.commit().await?;
        self.advisory_after(&s.actor, id).await
    }

    /// Scope-change requests addressed to the caller's organisation.
    pub async fn scope_requests(&self, s: &Session) -> Result<Vec<ScopeRequestView>> {
        s.org_id.ok_or_else(CoreError::forbidden)?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .scoped(&s.actor)
            .scope_requests_to_me()
            .await?
            .iter()
            .map(request_view)
            .collect())
    }

    /// The source accepts or declines (a sharing contact of the addressed organisation).
    pub async fn decide_scope_request(
        &self,
        s: &Session,
        rid: ScopeRequestId,
        accept: bool,
        note: &str,
    ) -> Result<ScopeRequestView> {
        let mut tx = self.store.begin().await?;
        let q = tx.scoped(&s.actor).scope_request(rid).await?;
        let permit = may_decide(&s.actor, &q.request)?;
        let now = self.now_ts();
        if !tx
            .decide_scope_request(&permit, accept, note.trim(), &now)
            .await?
        {
            return Err(CoreError::new(ErrorCode::AlreadyDecided));
        }
        let nisc: Vec<_> = tx
            .orgs(OrgFilter::Role(Role::Nisc))
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let text = ja(
            if accept {
                "notify.scope_request_accepted"
            } else {
                "notify.scope_request_declined"
            },
            &[],
        );
        self.notify_many(&mut tx, &nisc, "scope_request_decided", None, &text)
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            if accept {
                "scope_change_accepted"
            } else {
                "scope_change_declined"
            },
            format!("advisory:{}", q.request.advisory),
            serde_json::json!({ "request": rid }),
        )
        .await?;
        let decided = tx.scoped(&s.actor).scope_request(rid).await?;
        tx.commit().await?;
        Ok(request_view(&decided))
    }
}
