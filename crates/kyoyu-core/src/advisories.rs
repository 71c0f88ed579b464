//! Advisories (情報提供) end to end: NISC drafts from source reports under the scope ceiling
//! those sources allow, asks their senders to widen it, checks the text for anything that
//! identifies a source, publishes (`T<n>`) to the recipient ministries, and the advisory flows
//! down to CEPTOARs and operators — each only within its TLP — with receipt (受領) and handling
//! (対応) tracked per organisation; ministries in scope may ask NISC questions; exercises yield a
//! drill report.

use std::collections::BTreeSet;

use kyoyu_domain::advisory::{self, AdvisoryForm, Ceiling, Limit, LintHit, SourceScope};
use kyoyu_domain::policy::{self, Actor, ItemKind, ItemScope, Relation, ScopeFilter, UserActor};
use kyoyu_domain::{Role, Tlp};
use kyoyu_store::{DeliveryRow, NewScopeItem, Tx};
use serde::Serialize;

use crate::auth::Session;
use crate::reports::{OrgRef, Orgs, acting_org, parse_form};
use crate::{Core, CoreError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub report_id: i64,
    pub number: String,
    pub tlp: Tlp,
    pub sector: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeRequestView {
    pub id: i64,
    pub advisory_id: i64,
    pub report_number: String,
    pub wanted_tlp: Tlp,
    pub wanted_sectors: Vec<String>,
    pub reason: String,
    /// `pending`, `accepted` or `declined`.
    pub state: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
    /// The advisory's draft overview, so the source can judge the request.
    pub advisory_overview: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub org: OrgRef,
    pub from: OrgRef,
    pub delivered_at: String,
    pub received_at: Option<String>,
    pub handled_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InquiryView {
    /// The ministry whose thread this is.
    pub ministry: OrgRef,
    pub author: OrgRef,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AdvisoryActions {
    pub can_edit: bool,
    pub can_publish: bool,
    pub forward_to: Vec<OrgRef>,
    pub can_receive: bool,
    pub can_handle: bool,
    pub can_inquire: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryView {
    pub id: i64,
    pub number: Option<String>,
    /// `draft` or `published`.
    pub state: &'static str,
    pub exercise: bool,
    /// The heading, with 【訓練】 for an exercise.
    pub title: String,
    pub tlp: Tlp,
    /// The edition in force (the latest).
    pub form: AdvisoryForm,
    /// Every edition: number and publication time.
    pub editions: Vec<(u32, Option<String>, Option<String>)>,
    pub published_at: Option<String>,
    /// NISC only: the reports it derives from, the ceiling they set, what a publication as
    /// drafted would exceed, the requests to widen it, and the source-protection lint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<SourceView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<Ceiling>,
    pub limits: Vec<Limit>,
    pub lint: Vec<LintHit>,
    pub scope_requests: Vec<ScopeRequestView>,
    /// NISC: every delivery; a forwarder: its own and those it made; others: their own.
    pub deliveries: Vec<DeliveryView>,
    pub inquiries: Vec<InquiryView>,
    /// 別紙: documents, and samples (served only inside a password-protected zip).
    pub attachments: Vec<AttachmentInfo>,
    pub actions: AdvisoryActions,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub at: String,
}

/// One line of the drill report.
#[derive(Debug, Clone, Serialize)]
pub struct DrillRow {
    pub org: OrgRef,
    pub from: OrgRef,
    pub delivered_at: String,
    pub seconds_to_receive: Option<i64>,
    pub seconds_to_handle: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    pub advisory_id: i64,
    pub number: Option<String>,
    pub exercise: bool,
    pub rows: Vec<DrillRow>,
    /// Organisations that never acknowledged receipt.
    pub never_received: Vec<OrgRef>,
    pub never_handled: Vec<OrgRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvisorySummary {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub tlp: Tlp,
    pub state: &'static str,
    pub exercise: bool,
    pub overview: String,
    pub published_at: Option<String>,
    pub my_received_at: Option<String>,
    pub my_handled_at: Option<String>,
}

/// The texts the lint reads: the form's, and the attachments' file names.
fn lint_texts<'a>(form: &'a AdvisoryForm, names: &'a [String]) -> Vec<(&'static str, &'a str)> {
    let mut texts = form.texts();
    texts.extend(names.iter().map(|n| ("attachments", n.as_str())));
    texts
}

fn secs(from: &str, to: &Option<String>) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(from).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(to.as_deref()?).ok()?;
    Some((b - a).num_seconds())
}

fn to_json(form: &AdvisoryForm) -> Result<String> {
    serde_json::to_string(form).map_err(|e| CoreError::Internal(e.to_string()))
}

fn parse(json: &str) -> Result<AdvisoryForm> {
    serde_json::from_str(json).map_err(|e| CoreError::Internal(format!("stored advisory: {e}")))
}

fn errors(errs: Vec<kyoyu_domain::report::FieldError>) -> CoreError {
    match errs.into_iter().next() {
        Some(e) => CoreError::Invalid {
            field: format!("form.{}", e.field),
            message: e.message,
        },
        None => CoreError::invalid("form", "invalid"),
    }
}

fn require_nisc(s: &Session) -> Result<i64> {
    let org = acting_org(s)?;
    if !s.actor.has_role(Role::Nisc) {
        return Err(CoreError::Forbidden);
    }
    Ok(org)
}

struct Loaded {
    row: kyoyu_store::AdvisoryRow,
    scope: ItemScope,
    form: AdvisoryForm,
    editions: Vec<kyoyu_store::AdvisoryEditionRow>,
    deliveries: Vec<DeliveryRow>,
}

impl Core {
    async fn load_advisory(&self, tx: &mut Tx, actor: &Actor, id: i64) -> Result<Loaded> {
        let row = match tx.advisory(id).await {
            Ok(r) => r,
            Err(kyoyu_store::StoreError::NotFound(_)) => return Err(CoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let scope = tx.scope_item(id).await?;
        if scope.kind != ItemKind::Advisory || !policy::can_see(actor, &scope) {
            return Err(CoreError::NotFound);
        }
        let editions = tx.advisory_editions(id).await?;
        let form = editions
            .last()
            .map(|e| parse(&e.form))
            .transpose()?
            .ok_or_else(|| CoreError::Internal("advisory without edition".into()))?;
        let deliveries = tx.deliveries(id).await?;
        Ok(Loaded {
            row,
            scope,
            form,
            editions,
            deliveries,
        })
    }

    /// The source reports as scope facts, with what their senders accepted for this advisory.
    async fn sources(
        &self,
        tx: &mut Tx,
        advisory: i64,
        reports: &[i64],
    ) -> Result<Vec<SourceScope>> {
        let requests = tx.scope_requests_of_advisory(advisory).await?;
        let mut out = Vec::new();
        for r in reports {
            let report = tx.report(*r).await?;
            let scope = tx.scope_item(*r).await?;
            let mut accepted: Option<(Tlp, BTreeSet<String>)> = None;
            for q in requests
                .iter()
                .filter(|q| q.report_id == *r && q.state == "accepted")
            {
                let t: Tlp = q.wanted_scope.parse().unwrap_or(Tlp::Red);
                let secs: BTreeSet<String> = q
                    .wanted_sectors
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                accepted = Some(match accepted {
                    Some((pt, ps)) => (pt.max(t), ps.union(&secs).cloned().collect()),
                    None => (t, secs),
                });
            }
            out.push(SourceScope {
                report_id: *r,
                number: report
                    .number
                    .map(|n| format!("R{n}"))
                    .unwrap_or_else(|| format!("#{r}")),
                tlp: scope.tlp,
                sector: report.sector,
                accepted,
            });
        }
        Ok(out)
    }

    /// Strings that identify the reporters of the sources (for the lint).
    async fn source_needles(
        &self,
        tx: &mut Tx,
        orgs: &Orgs,
        reports: &[i64],
    ) -> Result<BTreeSet<String>> {
        let mut values = Vec::new();
        for r in reports {
            let report = tx.report(*r).await?;
            let origin = orgs.get(report.origin_org_id)?;
            values.extend([
                origin.name_ja.clone(),
                origin.name_en.clone(),
                origin.code.clone(),
            ]);
            let user = tx.user(report.origin_user_id).await?;
            values.extend([user.name, user.email]);
            for v in tx.versions(*r).await?.iter().filter(|v| !v.anonymized) {
                let f = parse_form(&v.form)?;
                let c = f.contact;
                values.extend([c.organization, c.person, c.phone, c.fax, c.email]);
                values.extend(f.operator_name);
            }
        }
        Ok(advisory::identifying_strings(&values))
    }

    /// Checks the sources exist and NISC may see them.
    async fn check_sources(&self, tx: &mut Tx, actor: &Actor, reports: &[i64]) -> Result<()> {
        for (i, r) in reports.iter().enumerate() {
            let visible = match tx.scope_item(*r).await {
                Ok(scope) => scope.kind == ItemKind::Report && policy::can_see(actor, &scope),
                Err(_) => false,
            };
            if !visible {
                return Err(CoreError::invalid(
                    &format!("sources[{i}]"),
                    format!("情報連絡 {r} は存在しないか、参照できません。"),
                ));
            }
        }
        Ok(())
    }

    /// NISC drafts an advisory, optionally from source reports.
    pub async fn create_advisory(
        &self,
        s: &Session,
        mut form: AdvisoryForm,
        sources: &[i64],
    ) -> Result<AdvisoryView> {
        let org = require_nisc(s)?;
        form.comment = None;
        form.number = None;
        form.edition = 1;
        form.validate(&self.reference()).map_err(errors)?;
        let now = self.now_ts();
        let mut tx = self.store.begin().await?;
        self.check_sources(&mut tx, &s.actor, sources).await?;
        let id = tx
            .create_scope_item(&NewScopeItem {
                kind: ItemKind::Advisory,
                tlp: form.tlp,
                author: Some(s.user_id),
                sectors: form.sectors(),
                orgs: [(org, Relation::Route)].into(),
                shared: false,
                at: now.clone(),
            })
            .await?;
        tx.create_advisory(id, form.exercise, s.user_id, &now)
            .await?;
        tx.put_advisory_edition(id, 1, &to_json(&form)?, s.user_id, &now)
            .await?;
        tx.set_advisory_sources(id, sources).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_drafted",
            &format!("advisory:{id}"),
            serde_json::json!({ "sources": sources }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// NISC edits a draft (form and sources).
    pub async fn update_advisory(
        &self,
        s: &Session,
        id: i64,
        mut form: AdvisoryForm,
        sources: &[i64],
    ) -> Result<AdvisoryView> {
        require_nisc(s)?;
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        if l.row.published {
            return Err(CoreError::Conflict(
                "公開済みの情報提供は編集できません".into(),
            ));
        }
        form.comment = None;
        form.number = None;
        form.edition = 1;
        form.validate(&self.reference()).map_err(errors)?;
        self.check_sources(&mut tx, &s.actor, sources).await?;
        let now = self.now_ts();
        tx.put_advisory_edition(id, 1, &to_json(&form)?, s.user_id, &now)
            .await?;
        tx.set_advisory_sources(id, sources).await?;
        tx.set_scope_tlp(id, form.tlp).await?;
        for sector in form.sectors() {
            tx.add_scope_sector(id, &sector).await?;
        }
        tx.set_advisory_exercise(id, form.exercise, &now).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_edited",
            &format!("advisory:{id}"),
            serde_json::json!({ "sources": sources }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// Asks the sender of each source that limits the draft to accept its scope.
    pub async fn request_scope_change(
        &self,
        s: &Session,
        id: i64,
        reason: &str,
    ) -> Result<AdvisoryView> {
        require_nisc(s)?;
        if reason.trim().is_empty() {
            return Err(CoreError::invalid(
                "reason",
                "依頼の理由を記入してください。",
            ));
        }
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        let reports = tx.advisory_sources(id).await?;
        let sources = self.sources(&mut tx, id, &reports).await?;
        let limits = advisory::exceeded(&sources, l.form.tlp, &l.form.sectors());
        if limits.is_empty() {
            return Err(CoreError::Conflict(
                "情報源の範囲を超えていないため、依頼は不要です".into(),
            ));
        }
        let pending = tx.scope_requests_of_advisory(id).await?;
        let now = self.now_ts();
        let wanted_sectors = l.form.sectors().into_iter().collect::<Vec<_>>().join(",");
        for limit in &limits {
            if pending
                .iter()
                .any(|q| q.report_id == limit.report_id && q.state == "pending")
            {
                continue;
            }
            let report = tx.report(limit.report_id).await?;
            let anonymised = tx
                .versions(limit.report_id)
                .await?
                .iter()
                .any(|v| v.anonymized);
            // The sender who chose the scope; for an anonymised report, the CEPTOAR, so that
            // the reporter stays unknown to NISC.
            let to = match (anonymised, report.ceptoar_org_id) {
                (true, Some(c)) => c,
                _ => report.origin_org_id,
            };
            let rid = tx
                .add_scope_request(
                    id,
                    limit.report_id,
                    to,
                    l.form.tlp.code(),
                    &wanted_sectors,
                    reason.trim(),
                    s.user_id,
                    &now,
                )
                .await?;
            self.notify(
                &mut tx,
                to,
                "scope_request",
                Some(limit.report_id),
                &format!(
                    "情報連絡 {} の共有範囲の変更依頼が届いています。",
                    limit.number
                ),
            )
            .await?;
            self.audit(
                &mut tx,
                &s.actor,
                "scope_change_requested",
                &format!("advisory:{id}"),
                serde_json::json!({ "request": rid, "report": limit.report_id }),
            )
            .await?;
        }
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// Scope-change requests addressed to the caller's organisation.
    pub async fn scope_requests(&self, s: &Session) -> Result<Vec<ScopeRequestView>> {
        let org = acting_org(s)?;
        let mut tx = self.store.read().await?;
        let rows = tx.scope_requests_to(org).await?;
        let mut out = Vec::new();
        for q in rows {
            out.push(self.request_view(&mut tx, &q).await?);
        }
        Ok(out)
    }

    async fn request_view(
        &self,
        tx: &mut Tx,
        q: &kyoyu_store::ScopeRequestRow,
    ) -> Result<ScopeRequestView> {
        let report = tx.report(q.report_id).await?;
        let overview = tx
            .advisory_editions(q.advisory_id)
            .await?
            .last()
            .map(|e| parse(&e.form))
            .transpose()?
            .map(|f| f.overview)
            .unwrap_or_default();
        Ok(ScopeRequestView {
            id: q.id,
            advisory_id: q.advisory_id,
            report_number: report
                .number
                .map(|n| format!("R{n}"))
                .unwrap_or_else(|| format!("#{}", q.report_id)),
            wanted_tlp: q.wanted_scope.parse().unwrap_or(Tlp::Red),
            wanted_sectors: q
                .wanted_sectors
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            reason: q.reason.clone(),
            state: q.state.clone(),
            requested_at: q.requested_at.clone(),
            decided_at: q.decided_at.clone(),
            decision_note: q.decision_note.clone(),
            advisory_overview: overview,
        })
    }

    /// The source accepts or declines (a sharing contact of the addressed organisation).
    pub async fn decide_scope_request(
        &self,
        s: &Session,
        rid: i64,
        accept: bool,
        note: &str,
    ) -> Result<ScopeRequestView> {
        let org = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let q = match tx.scope_request(rid).await {
            Ok(q) if q.to_org_id == org => q,
            Ok(_) | Err(kyoyu_store::StoreError::NotFound(_)) => return Err(CoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !s.is_contact {
            return Err(CoreError::Forbidden);
        }
        let now = self.now_ts();
        if !tx
            .decide_scope_request(rid, accept, s.user_id, note.trim(), &now)
            .await?
        {
            return Err(CoreError::Conflict("この依頼は既に回答済みです".into()));
        }
        let nisc: Vec<i64> = tx.org_ids_with_role("nisc").await?;
        for n in nisc {
            self.notify(
                &mut tx,
                n,
                "scope_request_decided",
                None,
                &format!(
                    "共有範囲の変更依頼が{}されました。",
                    if accept { "承諾" } else { "拒否" }
                ),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            if accept {
                "scope_change_accepted"
            } else {
                "scope_change_declined"
            },
            &format!("advisory:{}", q.advisory_id),
            serde_json::json!({ "request": rid }),
        )
        .await?;
        let view = self.request_view(&mut tx, &q).await?;
        tx.commit().await?;
        Ok(ScopeRequestView {
            state: if accept {
                "accepted".into()
            } else {
                "declined".into()
            },
            decided_at: Some(now),
            decision_note: note.trim().to_owned(),
            ..view
        })
    }

    /// The checks every publication passes, first edition or follow-up: within the sources'
    /// ceiling, and no lint hit unless overridden with a written reason (audited).
    async fn check_publishable(
        &self,
        tx: &mut Tx,
        s: &Session,
        id: i64,
        form: &AdvisoryForm,
        override_reason: Option<&str>,
    ) -> Result<Orgs> {
        let reports = tx.advisory_sources(id).await?;
        let sources = self.sources(tx, id, &reports).await?;
        let limits = advisory::exceeded(&sources, form.tlp, &form.sectors());
        if !limits.is_empty() {
            let list: Vec<String> = limits
                .iter()
                .map(|x| format!("{}（{}）", x.number, x.reason))
                .collect();
            return Err(CoreError::Conflict(format!(
                "情報源の共有範囲を超えています。変更依頼の承諾が必要です: {}",
                list.join("、")
            )));
        }
        let orgs = Orgs::load(tx).await?;
        let hits = advisory::lint(
            &form.texts(),
            &self.source_needles(tx, &orgs, &reports).await?,
        );
        match (
            hits.is_empty(),
            override_reason.map(str::trim).filter(|r| !r.is_empty()),
        ) {
            (true, _) => {}
            (false, None) => {
                return Err(CoreError::Conflict(format!(
                    "情報源を特定できる記載が {} 件あります。修正するか、理由を記入して公開してください",
                    hits.len()
                )));
            }
            (false, Some(reason)) => {
                self.audit(
                    tx,
                    &s.actor,
                    "advisory_lint_overridden",
                    &format!("advisory:{id}"),
                    serde_json::json!({ "hits": hits.len(), "reason": reason }),
                )
                .await?;
            }
        }
        Ok(orgs)
    }

    /// Delivers to the form's recipient ministries that do not have the advisory yet.
    #[allow(clippy::too_many_arguments)]
    async fn deliver_to_ministries(
        &self,
        tx: &mut Tx,
        s: &Session,
        orgs: &Orgs,
        id: i64,
        nisc: i64,
        form: &AdvisoryForm,
        have: &[i64],
        now: &str,
    ) -> Result<Vec<i64>> {
        let mut added = Vec::new();
        for ministry in form.ministries() {
            let Some(org) = orgs.by_id.values().find(|o| {
                o.roles.contains(&Role::SectorMinistry)
                    && o.ministry.as_deref() == Some(ministry.as_str())
            }) else {
                continue;
            };
            if have.contains(&org.id) || added.contains(&org.id) {
                continue;
            }
            tx.add_scope_org(id, org.id, Relation::Recipient).await?;
            tx.add_delivery(id, org.id, nisc, s.user_id, now).await?;
            added.push(org.id);
        }
        Ok(added)
    }

    /// Publishes: refused beyond the scope ceiling until every limiting source accepted; refused
    /// with lint hits unless `override_reason` is given (audited). Numbers it `T<n>` and
    /// delivers it to the recipient ministries.
    pub async fn publish_advisory(
        &self,
        s: &Session,
        id: i64,
        override_reason: Option<&str>,
    ) -> Result<AdvisoryView> {
        let nisc = require_nisc(s)?;
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        if l.row.published {
            return Err(CoreError::Conflict("既に公開済みです".into()));
        }
        let orgs = self
            .check_publishable(&mut tx, s, id, &l.form, override_reason)
            .await?;
        let now = self.now_ts();
        let n = tx.next_counter("T").await?;
        tx.publish_advisory(id, n, &now).await?;
        tx.set_scope_shared(id).await?;
        let drill = if l.row.exercise { "【訓練】" } else { "" };
        for org in self
            .deliver_to_ministries(&mut tx, s, &orgs, id, nisc, &l.form, &[], &now)
            .await?
        {
            self.notify(
                &mut tx,
                org,
                "advisory_delivered",
                Some(id),
                &format!("{drill}情報提供 T{n} が届きました。"),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_published",
            &format!("advisory:{id}"),
            serde_json::json!({ "number": format!("T{n}") }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// Organisations the caller may pass the advisory on to: within its TLP, not yet delivered.
    fn forward_candidates(&self, orgs: &Orgs, l: &Loaded, org_id: i64) -> Result<Vec<OrgRef>> {
        let me = orgs.get(org_id)?;
        if !l.row.published || !l.deliveries.iter().any(|d| d.org_id == org_id) {
            return Ok(Vec::new());
        }
        let sectors = l.form.sectors();
        let reference = self.reference();
        let mut out: Vec<&kyoyu_store::OrgRow> = if me.roles.contains(&Role::SectorMinistry) {
            let mine: BTreeSet<String> = me
                .ministry
                .as_deref()
                .map(|m| reference.jurisdiction(m))
                .unwrap_or_default();
            let relevant: BTreeSet<&String> =
                sectors.iter().filter(|s| mine.contains(*s)).collect();
            orgs.by_id
                .values()
                .filter(|o| {
                    (o.roles.contains(&Role::Ceptoar) || o.roles.contains(&Role::Operator))
                        && o.sectors.iter().any(|s| relevant.contains(s))
                })
                .collect()
        } else if me.roles.contains(&Role::Ceptoar) {
            orgs.by_id
                .values()
                .filter(|o| o.ceptoars.contains(&me.code))
                .collect()
        } else {
            Vec::new()
        };
        out.retain(|o| !l.deliveries.iter().any(|d| d.org_id == o.id));
        // Only organisations whose sharing contacts the TLP admits: the policy decides.
        let mut ok = Vec::new();
        for o in out {
            let facts = policy::OrgFacts {
                id: o.id,
                roles: o.roles.clone(),
                sectors: o.sectors.clone(),
                jurisdiction: o
                    .ministry
                    .as_deref()
                    .filter(|_| o.roles.contains(&Role::SectorMinistry))
                    .map(|m| reference.jurisdiction(m))
                    .unwrap_or_default(),
                ceptoar_sectors: o
                    .ceptoars
                    .iter()
                    .filter_map(|c| orgs.by_code(c))
                    .flat_map(|c| c.sectors.iter().cloned())
                    .collect(),
                in_ceptoar: !o.ceptoars.is_empty(),
            };
            let contact = Actor::User(UserActor {
                user_id: -1,
                org: Some(facts),
                is_contact: true,
                is_admin: false,
            });
            if policy::can_see(&contact, &l.scope) {
                ok.push(OrgRef::from(o));
            }
        }
        ok.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(ok)
    }

    /// NISC files a follow-up edition (続報, `T<n>-<k>`) of a published advisory: checked like a
    /// publication (the sources' ceiling, the lint), the TLP may only narrow; it is delivered
    /// again to every organisation that had the advisory, and to any new recipient ministry.
    pub async fn file_advisory_follow_up(
        &self,
        s: &Session,
        id: i64,
        mut form: AdvisoryForm,
        override_reason: Option<&str>,
    ) -> Result<AdvisoryView> {
        let nisc = require_nisc(s)?;
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        if !l.row.published {
            return Err(CoreError::Conflict(
                "公開前の情報提供には続報を作成できません（下書きを編集してください）".into(),
            ));
        }
        let edition = l.editions.iter().map(|e| e.edition).max().unwrap_or(1) + 1;
        form.comment = None;
        form.number = None;
        form.edition = edition as u32;
        form.exercise = l.row.exercise;
        form.validate(&self.reference()).map_err(errors)?;
        if !form.tlp.within(l.scope.tlp) {
            return Err(CoreError::invalid(
                "form.tlp",
                "続報で情報共有範囲を広げることはできません。",
            ));
        }
        let orgs = self
            .check_publishable(&mut tx, s, id, &form, override_reason)
            .await?;
        let now = self.now_ts();
        tx.add_published_edition(id, edition, &to_json(&form)?, s.user_id, &now)
            .await?;
        if form.tlp < l.scope.tlp {
            tx.set_scope_tlp(id, form.tlp).await?;
        }
        for sector in form.sectors() {
            tx.add_scope_sector(id, &sector).await?;
        }
        let number = advisory::edition_number(l.row.number, edition as u32).unwrap_or_default();
        let drill = if l.row.exercise { "【訓練】" } else { "" };
        let mut notified = tx.redeliver(id, edition, &now).await?;
        let added = self
            .deliver_to_ministries(&mut tx, s, &orgs, id, nisc, &form, &notified, &now)
            .await?;
        notified.extend(added);
        for org in notified {
            self.notify(
                &mut tx,
                org,
                "advisory_delivered",
                Some(id),
                &format!("{drill}情報提供 {number}（続報）が届きました。"),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_follow_up_published",
            &format!("advisory:{id}"),
            serde_json::json!({ "number": number }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// A ministry or CEPTOAR passes the advisory on.
    pub async fn forward_advisory(
        &self,
        s: &Session,
        id: i64,
        to: &[String],
    ) -> Result<AdvisoryView> {
        let org_id = acting_org(s)?;
        if to.is_empty() {
            return Err(CoreError::invalid(
                "to",
                "転送先を1つ以上指定してください。",
            ));
        }
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        let allowed = self.forward_candidates(&orgs, &l, org_id)?;
        let now = self.now_ts();
        let n = l.row.number.map(|n| format!("T{n}")).unwrap_or_default();
        let exercise = if l.row.exercise { "【訓練】" } else { "" };
        for (i, code) in to.iter().enumerate() {
            if !allowed.iter().any(|a| &a.code == code) {
                return Err(CoreError::invalid(
                    &format!("to[{i}]"),
                    format!("「{code}」はこの情報提供の共有範囲外か、転送先ではありません。"),
                ));
            }
            let Some(target) = orgs.by_code(code) else {
                continue;
            };
            tx.add_scope_org(id, target.id, Relation::Route).await?;
            tx.add_delivery(id, target.id, org_id, s.user_id, &now)
                .await?;
            self.notify(
                &mut tx,
                target.id,
                "advisory_delivered",
                Some(id),
                &format!("{exercise}情報提供 {n} が届きました。"),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_forwarded",
            &format!("advisory:{id}"),
            serde_json::json!({ "to": to }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// 受領 (`received`) or 対応 (`handled`, with a note) by the caller's organisation.
    pub async fn acknowledge_advisory(
        &self,
        s: &Session,
        id: i64,
        state: &str,
        note: &str,
    ) -> Result<AdvisoryView> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        if !l.deliveries.iter().any(|d| d.org_id == org_id) {
            return Err(CoreError::Conflict(
                "この情報提供は貴組織に配信されていません".into(),
            ));
        }
        let now = self.now_ts();
        match state {
            "received" => {
                tx.mark_received(id, org_id, s.user_id, &now).await?;
            }
            "handled" => {
                tx.mark_handled(id, org_id, s.user_id, note.trim(), &now)
                    .await?
            }
            _ => {
                return Err(CoreError::invalid(
                    "state",
                    "received または handled を指定してください。",
                ));
            }
        }
        self.audit(
            &mut tx,
            &s.actor,
            &format!("advisory_{state}"),
            &format!("advisory:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// A question to NISC from a ministry in the advisory's scope, or NISC's answer in a
    /// ministry's thread (`ministry` = that ministry's code).
    pub async fn inquire(
        &self,
        s: &Session,
        id: i64,
        text: &str,
        ministry: Option<&str>,
    ) -> Result<AdvisoryView> {
        let org_id = acting_org(s)?;
        if text.trim().is_empty() {
            return Err(CoreError::invalid("text", "内容を記入してください。"));
        }
        let mut tx = self.store.begin().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        let now = self.now_ts();
        let thread = if s.actor.has_role(Role::Nisc) {
            let code = ministry.ok_or_else(|| {
                CoreError::invalid("ministry", "回答先の省庁を指定してください。")
            })?;
            let m = orgs
                .by_code(code)
                .ok_or_else(|| CoreError::invalid("ministry", "省庁が見つかりません。"))?;
            self.notify(
                &mut tx,
                m.id,
                "inquiry_answered",
                Some(id),
                "情報提供への問い合わせに回答がありました。",
            )
            .await?;
            m.id
        } else {
            let in_scope = s.actor.has_role(Role::SectorMinistry)
                && l.deliveries.iter().any(|d| d.org_id == org_id);
            if !in_scope || !l.row.published {
                return Err(CoreError::Forbidden);
            }
            for n in tx.org_ids_with_role("nisc").await? {
                self.notify(
                    &mut tx,
                    n,
                    "inquiry",
                    Some(id),
                    "情報提供への問い合わせが届いています。",
                )
                .await?;
            }
            org_id
        };
        tx.add_inquiry(id, thread, s.user_id, org_id, text.trim(), &now)
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_inquiry",
            &format!("advisory:{id}"),
            serde_json::json!({ "thread": orgs.r(thread).code }),
        )
        .await?;
        tx.commit().await?;
        self.get_advisory(&s.actor, id).await
    }

    /// One advisory as the caller may see it.
    pub async fn get_advisory(&self, actor: &Actor, id: i64) -> Result<AdvisoryView> {
        let mut tx = self.store.read().await?;
        let l = self.load_advisory(&mut tx, actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        let my_org = actor.org().map(|o| o.id);
        let is_nisc = actor.has_role(Role::Nisc);
        let latest = l.editions.iter().map(|e| e.edition).max().unwrap_or(1) as u32;
        let number = advisory::edition_number(l.row.number, latest);
        let mut form = l.form.clone();
        form.number = number.clone();
        let (sources, ceiling, limits, lint, requests) = if is_nisc {
            let reports = tx.advisory_sources(id).await?;
            let scopes = self.sources(&mut tx, id, &reports).await?;
            let ceiling = advisory::ceiling(&scopes);
            let limits = advisory::exceeded(&scopes, form.tlp, &form.sectors());
            let needles = self.source_needles(&mut tx, &orgs, &reports).await?;
            let names: Vec<String> = tx
                .advisory_attachments(id)
                .await?
                .into_iter()
                .map(|a| a.file_name)
                .collect();
            let lint = advisory::lint(&lint_texts(&form, &names), &needles);
            let mut requests = Vec::new();
            for q in tx.scope_requests_of_advisory(id).await? {
                requests.push(self.request_view(&mut tx, &q).await?);
            }
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
        let visible_delivery =
            |d: &DeliveryRow| is_nisc || Some(d.org_id) == my_org || Some(d.from_org_id) == my_org;
        let deliveries = l
            .deliveries
            .iter()
            .filter(|d| visible_delivery(d))
            .map(|d| DeliveryView {
                org: orgs.r(d.org_id),
                from: orgs.r(d.from_org_id),
                delivered_at: d.delivered_at.clone(),
                received_at: d.received_at.clone(),
                handled_at: d.handled_at.clone(),
                note: d.note.clone(),
            })
            .collect();
        let inquiries = tx
            .inquiries(id)
            .await?
            .into_iter()
            .filter(|q| is_nisc || Some(q.ministry_org_id) == my_org)
            .map(|q| InquiryView {
                ministry: orgs.r(q.ministry_org_id),
                author: orgs.r(q.author_org_id),
                text: q.text,
                at: q.at,
            })
            .collect();
        let attachments = tx
            .advisory_attachments(id)
            .await?
            .into_iter()
            .map(|a| AttachmentInfo {
                id: a.id,
                kind: a.kind,
                file_name: a.file_name,
                content_type: a.content_type,
                size: a.size,
                sha256: a.sha256,
                sha1: a.sha1,
                md5: a.md5,
                at: a.at,
            })
            .collect();
        let mut actions = AdvisoryActions::default();
        if let (Actor::User(_), Some(org)) = (actor, my_org) {
            actions.can_edit = is_nisc && !l.row.published;
            actions.can_publish = is_nisc && !l.row.published && limits.is_empty();
            actions.forward_to = self.forward_candidates(&orgs, &l, org)?;
            let mine = l.deliveries.iter().find(|d| d.org_id == org);
            actions.can_receive = mine.is_some_and(|d| d.received_at.is_none());
            actions.can_handle = mine.is_some_and(|d| d.handled_at.is_none());
            actions.can_inquire = l.row.published
                && (is_nisc || (actor.has_role(Role::SectorMinistry) && mine.is_some()));
        }
        drop(tx);
        if l.scope.tlp != Tlp::White {
            let mut tx = self.store.begin().await?;
            self.audit(
                &mut tx,
                actor,
                "advisory_read",
                &format!("advisory:{id}"),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        let title = format!(
            "{}{}{}",
            if l.row.exercise { "【訓練】" } else { "" },
            "情報提供",
            number
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_else(|| "（下書き）".into())
        );
        Ok(AdvisoryView {
            id,
            number,
            state: if l.row.published {
                "published"
            } else {
                "draft"
            },
            exercise: l.row.exercise,
            title,
            tlp: l.scope.tlp,
            published_at: l.editions.last().and_then(|e| e.published_at.clone()),
            editions: l
                .editions
                .iter()
                .map(|e| {
                    (
                        e.edition as u32,
                        advisory::edition_number(l.row.number, e.edition as u32),
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
            deliveries,
            inquiries,
            attachments,
            actions,
        })
    }

    /// Advisories the caller may see (or, with `delivered`, those delivered to its
    /// organisation), newest first.
    pub async fn list_advisories(
        &self,
        actor: &Actor,
        delivered: bool,
    ) -> Result<Vec<AdvisorySummary>> {
        let my_org = actor.org().map(|o| o.id);
        let ids = {
            let mut tx = self.store.read().await?;
            tx.advisory_ids(
                &ScopeFilter::of(actor),
                if delivered { my_org.or(Some(-1)) } else { None },
                200,
            )
            .await?
        };
        let mut out = Vec::new();
        for id in ids {
            let mut tx = self.store.read().await?;
            let l = self.load_advisory(&mut tx, actor, id).await?;
            let mine = l.deliveries.iter().find(|d| Some(d.org_id) == my_org);
            let latest = l.editions.iter().map(|e| e.edition).max().unwrap_or(1) as u32;
            let number = advisory::edition_number(l.row.number, latest);
            out.push(AdvisorySummary {
                id,
                title: format!(
                    "{}{}",
                    if l.row.exercise { "【訓練】" } else { "" },
                    number.clone().unwrap_or_else(|| "（下書き）".into())
                ),
                number,
                tlp: l.scope.tlp,
                state: if l.row.published {
                    "published"
                } else {
                    "draft"
                },
                exercise: l.row.exercise,
                overview: l.form.overview.chars().take(80).collect(),
                published_at: l.row.published_at.clone(),
                my_received_at: mine.and_then(|d| d.received_at.clone()),
                my_handled_at: mine.and_then(|d| d.handled_at.clone()),
            });
        }
        Ok(out)
    }

    /// The drill report (訓練): for every organisation on the route, time to receive and to
    /// handle, and who never did. NISC sees all; a forwarder sees what it delivered.
    pub async fn drill_report(&self, s: &Session, id: i64) -> Result<DrillReport> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.read().await?;
        let l = self.load_advisory(&mut tx, &s.actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        let is_nisc = s.actor.has_role(Role::Nisc);
        let rows: Vec<&DeliveryRow> = l
            .deliveries
            .iter()
            .filter(|d| is_nisc || d.from_org_id == org_id)
            .collect();
        if rows.is_empty() && !is_nisc {
            return Err(CoreError::Forbidden);
        }
        Ok(DrillReport {
            advisory_id: id,
            number: advisory::edition_number(l.row.number, 1),
            exercise: l.row.exercise,
            never_received: rows
                .iter()
                .filter(|d| d.received_at.is_none())
                .map(|d| orgs.r(d.org_id))
                .collect(),
            never_handled: rows
                .iter()
                .filter(|d| d.handled_at.is_none())
                .map(|d| orgs.r(d.org_id))
                .collect(),
            rows: rows
                .iter()
                .map(|d| DrillRow {
                    org: orgs.r(d.org_id),
                    from: orgs.r(d.from_org_id),
                    delivered_at: d.delivered_at.clone(),
                    seconds_to_receive: secs(&d.delivered_at, &d.received_at),
                    seconds_to_handle: secs(&d.delivered_at, &d.handled_at),
                })
                .collect(),
        })
    }
}

impl Core {
    /// NISC attaches a document or a sample (別紙) to an advisory.
    pub async fn add_advisory_attachment(
        &self,
        s: &Session,
        id: i64,
        up: crate::reports::Upload<'_>,
    ) -> Result<AttachmentInfo> {
        require_nisc(s)?;
        let c = up.check()?;
        let mut tx = self.store.begin().await?;
        self.load_advisory(&mut tx, &s.actor, id).await?;
        let row = kyoyu_store::AdvisoryAttachmentRow {
            id: 0,
            kind: c.kind.clone(),
            file_name: c.file_name.clone(),
            content_type: c.content_type.clone(),
            size: c.size,
            sha1: c.sha1.clone(),
            md5: c.md5.clone(),
            sha256: c.sha256.clone(),
            at: self.now_ts(),
        };
        tx.put_blob(&c.sha256, up.bytes).await?;
        let aid = tx.add_advisory_attachment(id, &row, s.user_id).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_attachment_added",
            &format!("advisory:{id}"),
            serde_json::json!({ "attachment": aid, "sha256": c.sha256 }),
        )
        .await?;
        tx.commit().await?;
        Ok(AttachmentInfo {
            id: aid,
            kind: row.kind,
            file_name: row.file_name,
            content_type: row.content_type,
            size: row.size,
            sha256: row.sha256,
            sha1: row.sha1,
            md5: row.md5,
            at: row.at,
        })
    }

    /// Downloads an advisory attachment the caller may see (samples only as a zip).
    pub async fn download_advisory_attachment(
        &self,
        actor: &Actor,
        id: i64,
        aid: i64,
        sample_password: &str,
    ) -> Result<crate::reports::Download> {
        let v = self.get_advisory(actor, id).await?;
        let Some(a) = v.attachments.iter().find(|a| a.id == aid) else {
            return Err(CoreError::NotFound);
        };
        let bytes = self.store.read().await?.blob(&a.sha256).await?;
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            actor,
            "advisory_attachment_downloaded",
            &format!("advisory:{id}"),
            serde_json::json!({ "attachment": aid }),
        )
        .await?;
        tx.commit().await?;
        if a.kind == "sample" {
            let zipped = crate::reports::zip_sample(&a.file_name, &bytes, sample_password)?;
            return Ok(crate::reports::Download {
                file_name: format!("{}.zip", a.file_name),
                content_type: "application/zip".into(),
                bytes: zipped,
                zipped: true,
            });
        }
        Ok(crate::reports::Download {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            bytes,
            zipped: false,
        })
    }
}
