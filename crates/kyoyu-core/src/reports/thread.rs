//! One thread as the caller may see it: read through the scoped reader (404 when the policy
//! does not admit the caller), presented in the view the policy gives the caller, with the
//! organisations named and what the caller may do next. Reading a non-White thread is
//! audited.

use std::collections::HashMap;

use kyoyu_domain::policy::route::actions;
use kyoyu_domain::policy::{Actor, Visible, report_view};
use kyoyu_domain::report::thread::{ReportRecord, present};
use kyoyu_domain::{ReportId, Tlp, UserId};
use kyoyu_store::Tx;

use super::{Actions, AttachmentView, EditionView, HopView, ReportThread, VersionView};
use crate::directory::Refs;
use crate::{Core, Result};

impl Core {
    /// One thread as the caller may see it (404 when they may not).
    pub async fn get_report(&self, actor: &Actor, id: ReportId) -> Result<ReportThread> {
        let mut tx = self.store.read().await?;
        let rec = tx.scoped(actor).report(id).await?;
        let thread = self.thread_view(&mut tx, actor, &rec).await?;
        drop(tx);
        if rec.scope().tlp != Tlp::White {
            self.audit_read(
                actor,
                "report_read",
                format!("report:{id}"),
                serde_json::json!({}),
            )
            .await;
        }
        Ok(thread)
    }

    /// Presents a visible thread for `actor`: its view, the organisations by code and name,
    /// author names for the reporter's side, and the actions the route rules allow.
    pub(crate) async fn thread_view(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rec: &Visible<ReportRecord>,
    ) -> Result<ReportThread> {
        let r = rec.get();
        let view = report_view(actor, &r.facts());
        let p = present(view, r);
        let dir = match actor.org() {
            Some(_) => {
                self.route_dir(tx, actor, &r.first_hop().into_iter().collect::<Vec<_>>())
                    .await?
            }
            None => Vec::new(),
        };
        let a = actions(actor, rec, &dir);
        let mut ids = vec![p.originator];
        ids.extend(
            p.editions
                .iter()
                .flat_map(|e| e.versions.iter().map(|v| v.author_org)),
        );
        ids.extend(p.route.iter().flat_map(|h| [h.from, h.to]));
        ids.extend(p.attachments.iter().map(|a| a.uploaded_by));
        ids.extend(a.forward_to.iter().chain(a.submit_to.iter()).copied());
        let refs = Refs::load(tx, ids).await?;
        // Author names only for views that show the reporter's identity.
        let mut names: HashMap<UserId, String> = HashMap::new();
        for e in &p.editions {
            for v in &e.versions {
                if let Some(u) = v.author_user
                    && !names.contains_key(&u)
                {
                    names.insert(u, tx.user(u).await?.name);
                }
            }
        }
        let reference = self.reference();
        Ok(ReportThread {
            id: p.id,
            exercise: p.exercise,
            number: p.number.clone(),
            sector_name: reference.sector_name(&p.sector).to_owned(),
            sector: p.sector.clone(),
            tlp: p.tlp,
            anonymized: p.anonymized,
            view: view.public_code(),
            originator: refs.get(p.originator),
            editions: p
                .editions
                .iter()
                .map(|e| EditionView {
                    edition: e.edition,
                    number: e.number.clone(),
                    state: e.state.code(),
                    versions: e
                        .versions
                        .iter()
                        .map(|v| VersionView {
                            version: v.version,
                            form: v.form.clone(),
                            anonymized: v.anonymized,
                            author_org: refs.get(v.author_org),
                            author_name: v.author_user.and_then(|u| names.get(&u).cloned()),
                            created_at: v.created_at.clone(),
                            sent_at: v.sent_at.clone(),
                            sml_check: v.form.sml_check(&reference),
                        })
                        .collect(),
                    changed_fields: e.changed_fields.clone(),
                })
                .collect(),
            route: p
                .route
                .iter()
                .map(|h| HopView {
                    edition: h.edition,
                    from: refs.get(h.from),
                    to: refs.get(h.to),
                    at: h.at.clone(),
                    anonymized: h.anonymized,
                    tlp: h.tlp,
                })
                .collect(),
            attachments: p
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    id: a.id,
                    edition: a.edition,
                    kind: a.kind.code().to_owned(),
                    file_name: a.file_name.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                    sha1: a.sha1.clone(),
                    md5: a.md5.clone(),
                    uploaded_by: refs.get(a.uploaded_by),
                    at: a.at.clone(),
                })
                .collect(),
            follow_up_expected: p.follow_up_expected,
            waiting_since: p.waiting_since.clone(),
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
            actions: Actions {
                forward_edition: a.forward_edition,
                forward_to: a.forward_to.iter().map(|o| refs.get(*o)).collect(),
                can_anonymize: a.can_anonymize,
                anonymize_required: a.anonymize_required,
                can_follow_up: a.can_follow_up,
                draft_edition: a.draft_edition,
                submit_to: a.submit_to.iter().map(|o| refs.get(*o)).collect(),
                can_attach: a.can_attach,
            },
        })
    }

    /// After a change: the thread as its author now sees it (read in a fresh transaction).
    pub(crate) async fn thread_after(&self, actor: &Actor, id: ReportId) -> Result<ReportThread> {
        let mut tx = self.store.read().await?;
        let rec = tx.scoped(actor).report(id).await?;
        self.thread_view(&mut tx, actor, &rec).await
    }
}
