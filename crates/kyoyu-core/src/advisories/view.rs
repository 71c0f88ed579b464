//! One advisory as the caller may see it: read through the scoped reader (404 when the policy
//! does not admit the caller); NISC also sees its sources, the ceiling they set, the requests
//! and the lint; deliveries and inquiries are shown as the policy decides. Reading a non-White
//! advisory is audited.

use kyoyu_domain::advisory::record::AdvisoryRecord;
use kyoyu_domain::advisory::{self};
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::distribution::{
    can_inquire, forward_candidates, sees_sources, visible_deliveries, visible_inquiries,
};
use kyoyu_domain::policy::{Actor, Visible};
use kyoyu_domain::{AdvisoryId, Role, Tlp};
use kyoyu_store::{RequestWithContext, Tx};

use super::scope_requests::request_view;
use super::sources::scopes;
use super::{
    AdvisoryActions, AdvisoryView, AttachmentInfo, DeliveryView, InquiryView, SourceView,
    lint_texts,
};
use crate::directory::Refs;
use crate::{Core, CoreError, Result};

impl Core {
    /// One advisory as the caller may see it.
    pub async fn get_advisory(&self, actor: &Actor, id: AdvisoryId) -> Result<AdvisoryView> {
        let mut tx = self.store.read().await?;
        let rec = tx.scoped(actor).advisory(id).await?;
        let view = self.advisory_view(&mut tx, actor, &rec).await?;
        drop(tx);
        if rec.scope().tlp != Tlp::White {
            self.audit_read(
                actor,
                "advisory_read",
                format!("advisory:{id}"),
                serde_json::json!({}),
            )
            .await;
        }
        Ok(view)
    }

    /// After a change: the advisory as its author now sees it.
    pub(crate) async fn advisory_after(
        &self,
        actor: &Actor,
        id: AdvisoryId,
    ) -> Result<AdvisoryView> {
        let mut tx = self.store.read().await?;
        let rec = tx.scoped(actor).advisory(id).await?;
        self.advisory_view(&mut tx, actor, &rec).await
    }

    pub(crate) async fn advisory_view(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rec: &Visible<AdvisoryRecord>,
    ) -> Result<AdvisoryView> {
        let r = rec.get();
        let current = r
            .current()
            .ok_or_else(|| CoreError::internal("advisory without edition"))?;
        let number = r.number_text();
        let mut form = current.form.clone();
        form.number = number.clone();
        let is_nisc = sees_sources(actor);
        let (sources, ceiling, limits, lint, requests) = if is_nisc {
            let sources = self.sources(tx, actor, r).await?;
            let scopes = scopes(&sources);
            let ceiling = advisory::ceiling(&scopes);
            let limits = advisory::exceeded(&scopes, form.tlp, &form.sectors());
            let needles = self.source_needles(tx, &sources).await?;
            let names: Vec<String> = r.attachments.iter().map(|a| a.file_name.clone()).collect();
            let lint = advisory::lint(&lint_texts(&form, &names), &needles);
            let requests = r
                .requests
                .iter()
                .map(|q| {
                    request_view(&RequestWithContext {
                        request: q.clone(),
                        report_number: scopes
                            .iter()
                            .find(|s| s.report_id == q.report)
                            .map(|s| s.number.clone())
                            .unwrap_or_else(|| format!("#{}", q.report)),
                        advisory_overview: form.overview.clone(),
                    })
                })
                .collect();
            let sources = scopes
                .iter()
                .map(|s| SourceView {
                    report_id: s.report_id,
                    number: s.number.clone(),
                    tlp: s.tlp,
                    sector: s.sector.clone(),
                })
                .collect();
            (Some(sources), Some(ceiling), limits, lint, requests)
        } else {
            (None, None, Vec::new(), Vec::new(), Vec::new())
        };
        let deliveries = visible_deliveries(actor, rec);
        let inquiries = visible_inquiries(actor, rec);
        let pool = self.forward_pool(tx, actor, rec).await?;
        let candidates: Vec<_> = match actor.org() {
            Some(me) => forward_candidates(me, rec, &pool)
                .into_iter()
                .map(|o| o.id)
                .collect(),
            None => Vec::new(),
        };
        let refs = Refs::load(
            tx,
            deliveries
                .iter()
                .flat_map(|d| [d.org, d.from])
                .chain(inquiries.iter().flat_map(|q| [q.ministry, q.author_org]))
                .chain(candidates.iter().copied()),
        )
        .await?;
        let mut actions = AdvisoryActions::default();
        if let (Actor::User(_), Some(org)) = (actor, actor.org_id()) {
            let nisc = actor.has_role(Role::Nisc);
            actions.can_edit = nisc && !r.published;
            actions.can_publish = nisc && !r.published && limits.is_empty();
            actions.forward_to = candidates.iter().map(|o| refs.get(*o)).collect();
            let mine = r.delivery_to(org);
            actions.can_receive = mine.is_some_and(|d| d.received_at.is_none());
            actions.can_handle = mine.is_some_and(|d| d.handled_at.is_none());
            actions.can_inquire = can_inquire(actor, rec);
        }
        let title = format!(
            "{}{}{}",
            Self::drill_prefix(r.exercise),
            ja("advisory.title_word", &[]),
            number
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_else(|| ja("advisory.draft_suffix", &[]))
        );
        Ok(AdvisoryView {
            id: r.id,
            number,
            state: if r.published { "published" } else { "draft" },
            exercise: r.exercise,
            title,
            tlp: rec.scope().tlp,
            published_at: r.editions.last().and_then(|e| e.published_at.clone()),
            editions: r
                .editions
                .iter()
                .map(|e| {
                    (
                        e.edition,
                        advisory::edition_number(r.number, e.edition),
                        e.published_at.clone(),
                    )
                })
                .collect(),
            form,
            sources,
            ceiling,
            limits,
            lint,
            scope_requests: requests,
            deliveries: deliveries
                .iter()
                .map(|d| DeliveryView {
                    org: refs.get(d.org),
                    from: refs.get(d.from),
                    delivered_at: d.delivered_at.clone(),
                    received_at: d.received_at.clone(),
                    handled_at: d.handled_at.clone(),
                    note: d.note.clone(),
                })
                .collect(),
            inquiries: inquiries
                .iter()
                .map(|q| InquiryView {
                    ministry: refs.get(q.ministry),
                    author: refs.get(q.author_org),
                    text: q.text.clone(),
                    at: q.at.clone(),
                })
                .collect(),
            attachments: r
                .attachments
                .iter()
                .map(|a| AttachmentInfo {
                    id: a.id,
                    kind: a.kind.code().to_owned(),
                    file_name: a.file_name.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                    sha1: a.sha1.clone(),
                    md5: a.md5.clone(),
                    at: a.at.clone(),
                })
                .collect(),
            actions,
        })
    }
}
