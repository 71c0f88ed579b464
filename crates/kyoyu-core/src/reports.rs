//! Incident reports (情報連絡) end to end: filing, drafts, the route (operator → CEPTOAR →
//! ministry → NISC), anonymisation at the CEPTOAR, R-numbers on first receipt at NISC,
//! follow-ups, the inbox, follow-up tracking, attachments and samples.
//!
//! Visibility goes through the policy only: `can_see` / the scope predicate decide whether a
//! thread is visible at all, `report_view` decides whether the caller sees the reporter's
//! identity; `present` applies that decision to everything a thread shows.

use std::collections::{BTreeSet, HashMap};

use kyoyu_domain::policy::{
    self, Actor, ItemKind, ItemScope, Relation, ReportFacts, ReportView, ScopeFilter,
};
use kyoyu_domain::report::{Contact, ReportForm, edition_number};
use kyoyu_domain::{OrgCode, Role, Tlp};
use kyoyu_store::{
    AttachmentRow, NewScopeItem, NewVersion, OrgRow, ReportQuery, ReportRow, TransmissionRow, Tx,
    VersionRow,
};
use serde::Serialize;

use crate::auth::Session;
use crate::{Core, CoreError, Result};

/// An organisation as a thread shows it: code and name, never an internal id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRef {
    pub code: String,
    pub name: String,
}

impl From<&OrgRow> for OrgRef {
    fn from(o: &OrgRow) -> Self {
        OrgRef {
            code: o.code.clone(),
            name: o.name_ja.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub version: i64,
    pub form: ReportForm,
    pub anonymized: bool,
    pub author_org: OrgRef,
    /// The writer's name, for those who see the full report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EditionView {
    pub edition: u32,
    pub number: Option<String>,
    /// `draft` or `sent`.
    pub state: &'static str,
    /// Every version the caller may see, oldest first; the last is the one in force.
    pub versions: Vec<VersionView>,
    /// Fields that differ from the previous edition.
    pub changed_fields: Vec<String>,
}

impl EditionView {
    pub fn latest(&self) -> Option<&VersionView> {
        self.versions.last()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HopView {
    pub edition: u32,
    pub from: OrgRef,
    pub to: OrgRef,
    pub at: String,
    pub anonymized: bool,
    pub tlp: Tlp,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    pub edition: u32,
    /// `document` or `sample`.
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub uploaded_by: OrgRef,
    pub at: String,
}

/// What the caller may do next with a thread.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Actions {
    /// The edition waiting in the caller's inbox to be passed on, if any.
    pub forward_edition: Option<u32>,
    pub forward_to: Vec<OrgRef>,
    pub can_anonymize: bool,
    /// The reporter asked the CEPTOAR to anonymise: forwarding always anonymises.
    pub anonymize_required: bool,
    pub can_follow_up: bool,
    /// An unsent draft of the caller's organisation.
    pub draft_edition: Option<u32>,
    pub submit_to: Vec<OrgRef>,
    pub can_attach: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportThread {
    pub id: i64,
    /// An exercise (訓練): shown as 【訓練】.
    pub exercise: bool,
    pub number: Option<String>,
    pub sector: String,
    pub sector_name: String,
    pub tlp: Tlp,
    pub anonymized: bool,
    /// `full` (the reporter's side) or `released` (everyone else).
    pub view: &'static str,
    pub originator: OrgRef,
    pub editions: Vec<EditionView>,
    pub route: Vec<HopView>,
    pub attachments: Vec<AttachmentView>,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub actions: Actions,
}

impl ReportThread {
    /// The form in force: the latest version of the latest edition.
    pub fn current(&self) -> Option<&VersionView> {
        self.editions.last().and_then(|e| e.latest())
    }
}

/// One line of a list.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    pub id: i64,
    pub number: Option<String>,
    pub sector: String,
    pub sector_name: String,
    pub tlp: Tlp,
    pub severity: Option<kyoyu_domain::Severity>,
    pub event: Option<kyoyu_domain::EventClass>,
    pub title: String,
    pub operator_name: Option<String>,
    pub originator: OrgRef,
    pub edition: u32,
    pub state: &'static str,
    pub anonymized: bool,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub updated_at: String,
}

/// Filters of the report list (all optional).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub sector: Option<String>,
    pub tlp: Option<Tlp>,
    pub severity: Option<kyoyu_domain::Severity>,
    pub event: Option<kyoyu_domain::EventClass>,
    pub cause: Option<kyoyu_domain::Cause>,
    /// Free text, matched against what the caller may see of the form.
    pub q: Option<String>,
    /// Reported at or after (RFC 3339).
    pub from: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub to: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// Which inbox box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxBox {
    Drafts,
    ToForward,
    Sent,
    Received,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A downloaded attachment.
pub struct Download {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// A sample, wrapped in a password-protected zip.
    pub zipped: bool,
}

/// What a new attachment carries.
pub struct Upload<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

pub(crate) struct Orgs {
    pub(crate) by_id: HashMap<i64, OrgRow>,
}

impl Orgs {
    pub(crate) async fn load(tx: &mut Tx) -> Result<Orgs> {
        Ok(Orgs {
            by_id: tx
                .list_orgs()
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect(),
        })
    }

    pub(crate) fn get(&self, id: i64) -> Result<&OrgRow> {
        self.by_id
            .get(&id)
            .ok_or_else(|| CoreError::Internal(format!("organisation {id} missing")))
    }

    pub(crate) fn r(&self, id: i64) -> OrgRef {
        self.by_id.get(&id).map(OrgRef::from).unwrap_or(OrgRef {
            code: String::new(),
            name: String::new(),
        })
    }

    pub(crate) fn by_code(&self, code: &str) -> Option<&OrgRow> {
        self.by_id.values().find(|o| o.code == code)
    }

    /// Sector ministries whose jurisdiction (reference data) includes `sector`.
    fn ministries_of(
        &self,
        reference: &kyoyu_domain::reference::ReferenceData,
        sector: &str,
    ) -> Vec<&OrgRow> {
        let mut out: Vec<&OrgRow> = self
            .by_id
            .values()
            .filter(|o| o.roles.contains(&Role::SectorMinistry))
            .filter(|o| {
                o.ministry
                    .as_deref()
                    .is_some_and(|m| reference.jurisdiction(m).contains(sector))
            })
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    fn nisc(&self) -> Vec<&OrgRow> {
        let mut out: Vec<&OrgRow> = self
            .by_id
            .values()
            .filter(|o| o.roles.contains(&Role::Nisc))
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }
}

pub(crate) fn parse_form(json: &str) -> Result<ReportForm> {
    serde_json::from_str(json).map_err(|e| CoreError::Internal(format!("stored report form: {e}")))
}

fn to_json(form: &ReportForm) -> Result<String> {
    serde_json::to_string(form).map_err(|e| CoreError::Internal(e.to_string()))
}

fn form_errors(errors: Vec<kyoyu_domain::report::FieldError>) -> CoreError {
    match errors.into_iter().next() {
        Some(e) => CoreError::Invalid {
            field: format!("form.{}", e.field),
            message: e.message,
        },
        None => CoreError::invalid("form", "invalid"),
    }
}

/// The organisation a session acts for.
pub(crate) fn acting_org(s: &Session) -> Result<i64> {
    s.org_id.ok_or(CoreError::Forbidden)
}

/// A thread and everything needed to present it.
struct Loaded {
    report: ReportRow,
    scope: ItemScope,
    versions: Vec<VersionRow>,
    hops: Vec<TransmissionRow>,
    attachments: Vec<AttachmentRow>,
}

impl Loaded {
    fn facts(&self) -> ReportFacts {
        ReportFacts {
            origin_org: self.report.origin_org_id,
            author: Some(self.report.origin_user_id),
            ceptoar: self.report.ceptoar_org_id,
        }
    }

    fn anonymized(&self) -> bool {
        self.versions.iter().any(|v| v.anonymized)
    }

    /// Editions waiting at `org` to be passed on, lowest first.
    fn pending_at(&self, org: i64) -> Vec<i64> {
        let mut eds: Vec<i64> = self
            .hops
            .iter()
            .filter(|h| h.to_org_id == org && !h.forwarded)
            .map(|h| h.edition)
            .collect();
        eds.sort_unstable();
        eds.dedup();
        eds
    }

    fn max_edition(&self) -> i64 {
        self.versions.iter().map(|v| v.edition).max().unwrap_or(0)
    }

    fn draft_of(&self, org: i64) -> Option<&VersionRow> {
        self.versions
            .iter()
            .find(|v| !v.sent && v.author_org_id == org)
    }

    /// The first recipient of the route (where follow-ups go).
    fn first_hop(&self) -> Option<i64> {
        self.hops
            .iter()
            .find(|h| h.from_org_id == self.report.origin_org_id)
            .map(|h| h.to_org_id)
    }
}

impl Core {
    async fn load_report(&self, tx: &mut Tx, actor: &Actor, id: i64) -> Result<Loaded> {
        let report = match tx.report(id).await {
            Ok(r) => r,
            Err(kyoyu_store::StoreError::NotFound(_)) => return Err(CoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let scope = tx.scope_item(id).await?;
        if scope.kind != ItemKind::Report || !policy::can_see(actor, &scope) {
            return Err(CoreError::NotFound);
        }
        Ok(Loaded {
            versions: tx.versions(id).await?,
            hops: tx.transmissions(id).await?,
            attachments: tx.attachments(id).await?,
            report,
            scope,
        })
    }

    /// Where an organisation may send a new report of `sector` (route, 図3).
    fn route_targets<'a>(
        &self,
        orgs: &'a Orgs,
        org: &OrgRow,
        sector: &str,
        basis_legal: bool,
    ) -> Vec<&'a OrgRow> {
        let reference = self.reference();
        let mut out = Vec::new();
        if org.roles.contains(&Role::Operator) {
            out.extend(orgs.ministries_of(&reference, sector));
            if !basis_legal {
                out.extend(
                    org.ceptoars
                        .iter()
                        .filter_map(|c| orgs.by_code(c))
                        .filter(|c| c.roles.contains(&Role::Ceptoar)),
                );
            }
        } else if org.roles.contains(&Role::Ceptoar) {
            out.extend(orgs.ministries_of(&reference, sector));
        } else if org.roles.contains(&Role::SectorMinistry) {
            out.extend(orgs.nisc());
        }
        out
    }

    /// Where the holder of an edition may pass it on.
    fn forward_targets<'a>(&self, orgs: &'a Orgs, org: &OrgRow, sector: &str) -> Vec<&'a OrgRow> {
        let reference = self.reference();
        if org.roles.contains(&Role::Nisc) {
            Vec::new()
        } else if org.roles.contains(&Role::Ceptoar) {
            orgs.ministries_of(&reference, sector)
        } else if org.roles.contains(&Role::SectorMinistry) {
            orgs.nisc()
        } else {
            Vec::new()
        }
    }

    /// Files a new report: a draft, or sent along the route at once.
    pub async fn create_report(
        &self,
        s: &Session,
        mut form: ReportForm,
        to: Option<&str>,
        anonymize: bool,
        submit: bool,
    ) -> Result<ReportThread> {
        let org_id = acting_org(s)?;
        form.comment = None;
        if form.number.as_deref().is_some_and(|n| !n.is_empty()) {
            return Err(CoreError::invalid(
                "form.number",
                "識別番号は第1報では空欄です（NISCが採番します）。",
            ));
        }
        if form.edition != 1 {
            return Err(CoreError::invalid(
                "form.edition",
                "新しい情報連絡は第1報です。",
            ));
        }
        form.number = None;
        form.validate(&self.reference()).map_err(form_errors)?;
        let now = self.now_ts();
        let mut tx = self.store.begin().await?;
        let orgs = Orgs::load(&mut tx).await?;
        let org = orgs.get(org_id)?.clone();
        let allowed = org.roles.contains(&Role::Operator)
            || org.roles.contains(&Role::Ceptoar)
            || org.roles.contains(&Role::SectorMinistry);
        if !allowed {
            return Err(CoreError::Forbidden);
        }
        let named = self.named_orgs(&orgs, &form.tlp_additions)?;
        let target = match (to, submit) {
            (Some(code), _) => Some(self.check_route(&orgs, &org, &form, code, anonymize)?),
            (None, true) => {
                return Err(CoreError::invalid("route.to", "送信先を指定してください。"));
            }
            (None, false) => None,
        };
        let mut relations: BTreeSet<(i64, Relation)> = [(org_id, Relation::Route)].into();
        relations.extend(named.iter().map(|id| (*id, Relation::Named)));
        let id = tx
            .create_scope_item(&NewScopeItem {
                kind: ItemKind::Report,
                tlp: form.tlp,
                author: Some(s.user_id),
                sectors: [form.sector.clone()].into(),
                orgs: relations,
                shared: false,
                at: now.clone(),
            })
            .await?;
        let ceptoar =
            target.filter(|t| orgs.get(*t).is_ok_and(|o| o.roles.contains(&Role::Ceptoar)));
        tx.create_report(
            id,
            &form.sector,
            org_id,
            s.user_id,
            ceptoar,
            anonymize && ceptoar.is_some(),
            &now,
        )
        .await?;
        let version_id = tx
            .insert_version(&NewVersion {
                report_id: id,
                edition: 1,
                version: 1,
                form: &to_json(&form)?,
                sent: submit,
                anonymized: false,
                author_user_id: s.user_id,
                author_org_id: org_id,
                at: &now,
            })
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            if submit {
                "report_sent"
            } else {
                "report_drafted"
            },
            &format!("report:{id}"),
            serde_json::json!({ "edition": 1 }),
        )
        .await?;
        if submit && let Some(to) = target {
            self.transmit(
                &mut tx, s, &orgs, id, version_id, 1, org_id, to, false, form.tlp,
            )
            .await?;
        }
        tx.commit().await?;
        self.get_report(&s.actor, id).await
    }

    fn named_orgs(&self, orgs: &Orgs, codes: &[OrgCode]) -> Result<Vec<i64>> {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                orgs.by_code(c.as_str()).map(|o| o.id).ok_or_else(|| {
                    CoreError::invalid(
                        &format!("form.tlp_additions[{i}]"),
                        format!("組織コード「{c}」は存在しません。"),
                    )
                })
            })
            .collect()
    }

    /// Checks a route choice for a new report and returns the recipient.
    fn check_route(
        &self,
        orgs: &Orgs,
        org: &OrgRow,
        form: &ReportForm,
        to: &str,
        anonymize: bool,
    ) -> Result<i64> {
        let legal = form.basis == Some(kyoyu_domain::ReportBasis::Legal);
        let targets = self.route_targets(orgs, org, &form.sector, legal);
        let Some(target) = targets.iter().find(|t| t.code == to) else {
            let allowed: Vec<&str> = targets.iter().map(|t| t.code.as_str()).collect();
            let why = if legal
                && orgs
                    .by_code(to)
                    .is_some_and(|o| o.roles.contains(&Role::Ceptoar))
            {
                "法令で報告が義務付けられた事象はセプター経由ではなく所管省庁へ直接報告します。"
                    .to_owned()
            } else {
                format!(
                    "送信先にできるのは {} です。",
                    if allowed.is_empty() {
                        "（なし）".to_owned()
                    } else {
                        allowed.join("、")
                    }
                )
            };
            return Err(CoreError::invalid("route.to", why));
        };
        if anonymize && !target.roles.contains(&Role::Ceptoar) {
            return Err(CoreError::invalid(
                "route.anonymize",
                "匿名化はセプター事務局経由の場合のみ指定できます。",
            ));
        }
        Ok(target.id)
    }

    /// One hop: records the transmission, relates the recipient, releases the version when it
    /// leaves the reporter's side, numbers the report on first receipt at NISC, and notifies.
    #[allow(clippy::too_many_arguments)]
    async fn transmit(
        &self,
        tx: &mut Tx,
        s: &Session,
        orgs: &Orgs,
        report_id: i64,
        version_id: i64,
        edition: i64,
        from: i64,
        to: i64,
        anonymized: bool,
        tlp: Tlp,
    ) -> Result<()> {
        let now = self.now_ts();
        let report = tx.report(report_id).await?;
        tx.add_transmission(
            report_id,
            version_id,
            edition,
            from,
            to,
            s.user_id,
            &now,
            anonymized,
            tlp.code(),
        )
        .await?;
        tx.add_scope_org(report_id, to, Relation::Route).await?;
        let recipient = orgs.get(to)?;
        let to_reporters_ceptoar =
            from == report.origin_org_id && recipient.roles.contains(&Role::Ceptoar);
        if !to_reporters_ceptoar {
            tx.mark_released(version_id).await?;
            tx.set_scope_shared(report_id).await?;
        }
        tx.touch_report(report_id, &now).await?;
        let label = format!("第{edition}報");
        let drill = tx
            .versions(report_id)
            .await?
            .iter()
            .any(|v| parse_form(&v.form).is_ok_and(|f| f.exercise));
        let drill = if drill { "【訓練】" } else { "" };
        self.notify(
            tx,
            to,
            "report_received",
            Some(report_id),
            &format!("{drill}情報連絡（{label}）を受信しました。"),
        )
        .await?;
        if recipient.roles.contains(&Role::Nisc) {
            // NISC is the end of the route: nothing to pass on.
            tx.mark_forwarded(report_id, edition, to).await?;
            if report.number.is_none() {
                {
                    let n = tx.next_counter("R").await?;
                    tx.set_report_number(report_id, n, &now).await?;
                    self.audit(
                        tx,
                        &s.actor,
                        "report_numbered",
                        &format!("report:{report_id}"),
                        serde_json::json!({ "number": format!("R{n}") }),
                    )
                    .await?;
                    // The sender and everyone on the route back to the originator.
                    let mut route: BTreeSet<i64> = tx
                        .transmissions(report_id)
                        .await?
                        .iter()
                        .flat_map(|h| [h.from_org_id, h.to_org_id])
                        .collect();
                    route.insert(report.origin_org_id);
                    for org in route {
                        self.notify(
                            tx,
                            org,
                            "report_numbered",
                            Some(report_id),
                            &format!("{drill}情報連絡に識別番号 R{n} が付与されました。"),
                        )
                        .await?;
                    }
                }
            }
        }
        self.audit(
            tx,
            &s.actor,
            "report_transmitted",
            &format!("report:{report_id}"),
            serde_json::json!({ "edition": edition, "to": recipient.code, "anonymized": anonymized }),
        )
        .await?;
        Ok(())
    }
}

impl Core {
    /// Passes the edition waiting at the caller's organisation on along the route, optionally
    /// anonymised (at the reporter's CEPTOAR) and/or with a corrected form (a new version of
    /// the edition; the received one is kept). The TLP may be narrowed, never widened.
    pub async fn forward_report(
        &self,
        s: &Session,
        id: i64,
        to: &str,
        anonymize: Option<bool>,
        form: Option<ReportForm>,
    ) -> Result<ReportThread> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let loaded = self.load_report(&mut tx, &s.actor, id).await?;
        let Some(edition) = loaded.pending_at(org_id).first().copied() else {
            return Err(CoreError::Conflict(
                "転送待ちの報がありません（受信していないか、転送済みです）".into(),
            ));
        };
        let orgs = Orgs::load(&mut tx).await?;
        let org = orgs.get(org_id)?.clone();
        let targets = self.forward_targets(&orgs, &org, &loaded.report.sector);
        let Some(target) = targets.iter().find(|t| t.code == to).map(|t| t.id) else {
            let allowed: Vec<&str> = targets.iter().map(|t| t.code.as_str()).collect();
            return Err(CoreError::invalid(
                "to",
                format!(
                    "転送先にできるのは {} です。",
                    if allowed.is_empty() {
                        "（なし）".to_owned()
                    } else {
                        allowed.join("、")
                    }
                ),
            ));
        };
        let received = loaded
            .hops
            .iter()
            .filter(|h| h.to_org_id == org_id && h.edition == edition)
            .max_by_key(|h| h.id)
            .ok_or_else(|| CoreError::Internal("pending edition without transmission".into()))?;
        let received_version = loaded
            .versions
            .iter()
            .find(|v| v.id == received.version_id)
            .ok_or_else(|| CoreError::Internal("transmitted version missing".into()))?;
        let received_form = parse_form(&received_version.form)?;
        let from_reporter = received.from_org_id == loaded.report.origin_org_id
            && org.roles.contains(&Role::Ceptoar);
        let anonymize = match (anonymize, loaded.report.anonymize) {
            (_, true) if from_reporter => true,
            (Some(true), _) if !from_reporter => {
                return Err(CoreError::invalid(
                    "anonymize",
                    "匿名化できるのは、事業者から報告を受けたセプター事務局だけです。",
                ));
            }
            (a, _) => a.unwrap_or(false),
        };
        let mut new_form = match form {
            Some(mut f) => {
                f.comment = None;
                f.edition = edition as u32;
                f.number = None;
                f.validate(&self.reference()).map_err(form_errors)?;
                if f.sector != received_form.sector {
                    return Err(CoreError::invalid(
                        "form.sector",
                        "転送時に分野は変更できません。",
                    ));
                }
                if !f.tlp.within(received_form.tlp) {
                    return Err(CoreError::invalid(
                        "form.tlp",
                        "情報共有範囲は狭めることだけができます（広げるには発信元の同意が必要です）。",
                    ));
                }
                Some(f)
            }
            None => None,
        };
        if anonymize {
            let origin = orgs.get(loaded.report.origin_org_id)?;
            let reporter = tx.user(loaded.report.origin_user_id).await?;
            let identifying = vec![
                origin.name_ja.clone(),
                origin.name_en.clone(),
                origin.code.clone(),
                reporter.name.clone(),
                reporter.email.clone(),
            ];
            let contact = Contact {
                organization: org.name_ja.clone(),
                department: String::new(),
                person: s.name.clone(),
                phone: String::new(),
                fax: String::new(),
                email: s.email.clone(),
            };
            let base = new_form.take().unwrap_or_else(|| received_form.clone());
            new_form = Some(base.anonymized(&identifying, contact));
        }
        let now = self.now_ts();
        let (version_id, tlp) = match new_form {
            Some(f) => {
                let version = loaded
                    .versions
                    .iter()
                    .filter(|v| v.edition == edition)
                    .map(|v| v.version)
                    .max()
                    .unwrap_or(0)
                    + 1;
                let vid = tx
                    .insert_version(&NewVersion {
                        report_id: id,
                        edition,
                        version,
                        form: &to_json(&f)?,
                        sent: true,
                        anonymized: anonymize || received_version.anonymized,
                        author_user_id: s.user_id,
                        author_org_id: org_id,
                        at: &now,
                    })
                    .await?;
                if f.tlp < loaded.scope.tlp {
                    tx.set_scope_tlp(id, f.tlp).await?;
                }
                (vid, f.tlp)
            }
            None => (received_version.id, received_form.tlp),
        };
        tx.mark_forwarded(id, edition, org_id).await?;
        self.transmit(
            &mut tx, s, &orgs, id, version_id, edition, org_id, target, anonymize, tlp,
        )
        .await?;
        tx.commit().await?;
        self.get_report(&s.actor, id).await
    }

    /// Files a follow-up (続報) from the originating organisation, sent to the route's first
    /// recipient (or kept as a draft).
    pub async fn file_follow_up(
        &self,
        s: &Session,
        id: i64,
        mut form: ReportForm,
        submit: bool,
    ) -> Result<ReportThread> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let loaded = self.load_report(&mut tx, &s.actor, id).await?;
        if loaded.report.origin_org_id != org_id {
            return Err(CoreError::Forbidden);
        }
        if loaded.draft_of(org_id).is_some() {
            return Err(CoreError::Conflict(
                "未送信の下書きがあります。先に送信するか編集してください".into(),
            ));
        }
        let Some(first_hop) = loaded.first_hop() else {
            return Err(CoreError::Conflict("第1報がまだ送信されていません".into()));
        };
        let edition = loaded.max_edition() + 1;
        form.comment = None;
        form.edition = edition as u32;
        form.number = None;
        form.validate(&self.reference()).map_err(form_errors)?;
        if form.sector != loaded.report.sector {
            return Err(CoreError::invalid(
                "form.sector",
                "続報で分野は変更できません。",
            ));
        }
        if !form.tlp.within(loaded.scope.tlp) {
            return Err(CoreError::invalid(
                "form.tlp",
                "情報共有範囲は狭めることだけができます。",
            ));
        }
        let now = self.now_ts();
        let version_id = tx
            .insert_version(&NewVersion {
                report_id: id,
                edition,
                version: 1,
                form: &to_json(&form)?,
                sent: submit,
                anonymized: false,
                author_user_id: s.user_id,
                author_org_id: org_id,
                at: &now,
            })
            .await?;
        if form.tlp < loaded.scope.tlp {
            tx.set_scope_tlp(id, form.tlp).await?;
        }
        self.audit(
            &mut tx,
            &s.actor,
            if submit {
                "report_sent"
            } else {
                "report_drafted"
            },
            &format!("report:{id}"),
            serde_json::json!({ "edition": edition }),
        )
        .await?;
        if submit {
            let orgs = Orgs::load(&mut tx).await?;
            self.transmit(
                &mut tx, s, &orgs, id, version_id, edition, org_id, first_hop, false, form.tlp,
            )
            .await?;
        }
        tx.commit().await?;
        self.get_report(&s.actor, id).await
    }

    /// Replaces the form of the caller's draft.
    pub async fn update_draft(
        &self,
        s: &Session,
        id: i64,
        mut form: ReportForm,
    ) -> Result<ReportThread> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let loaded = self.load_report(&mut tx, &s.actor, id).await?;
        let draft = loaded
            .draft_of(org_id)
            .cloned()
            .ok_or(CoreError::Conflict("下書きがありません".into()))?;
        form.comment = None;
        form.edition = draft.edition as u32;
        form.number = None;
        form.validate(&self.reference()).map_err(form_errors)?;
        if form.sector != loaded.report.sector {
            return Err(CoreError::invalid(
                "form.sector",
                "分野は変更できません（新しい情報連絡として作成してください）。",
            ));
        }
        tx.update_draft(draft.id, &to_json(&form)?).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_draft_saved",
            &format!("report:{id}"),
            serde_json::json!({ "edition": draft.edition }),
        )
        .await?;
        tx.commit().await?;
        self.get_report(&s.actor, id).await
    }

    /// Sends the caller's draft: the first edition to `to`, a follow-up to the route's first
    /// recipient.
    pub async fn submit_draft(
        &self,
        s: &Session,
        id: i64,
        to: Option<&str>,
        anonymize: bool,
    ) -> Result<ReportThread> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.begin().await?;
        let loaded = self.load_report(&mut tx, &s.actor, id).await?;
        let draft = loaded
            .draft_of(org_id)
            .cloned()
            .ok_or(CoreError::Conflict("下書きがありません".into()))?;
        let form = parse_form(&draft.form)?;
        form.validate(&self.reference()).map_err(form_errors)?;
        let orgs = Orgs::load(&mut tx).await?;
        let org = orgs.get(org_id)?.clone();
        let target = if draft.edition == 1 {
            let to = to.ok_or_else(|| CoreError::invalid("to", "送信先を指定してください。"))?;
            let target = self.check_route(&orgs, &org, &form, to, anonymize)?;
            let ceptoar = Some(target)
                .filter(|t| orgs.get(*t).is_ok_and(|o| o.roles.contains(&Role::Ceptoar)));
            tx.set_report_route(id, ceptoar, anonymize && ceptoar.is_some(), &self.now_ts())
                .await?;
            if form.tlp != loaded.scope.tlp {
                tx.set_scope_tlp(id, form.tlp).await?;
            }
            target
        } else {
            loaded
                .first_hop()
                .ok_or_else(|| CoreError::Conflict("第1報がまだ送信されていません".into()))?
        };
        let now = self.now_ts();
        tx.mark_sent(draft.id, &draft.form, &now).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_sent",
            &format!("report:{id}"),
            serde_json::json!({ "edition": draft.edition }),
        )
        .await?;
        self.transmit(
            &mut tx,
            s,
            &orgs,
            id,
            draft.id,
            draft.edition,
            org_id,
            target,
            false,
            form.tlp,
        )
        .await?;
        tx.commit().await?;
        self.get_report(&s.actor, id).await
    }
}

/// An upload checked and hashed once: what every attachment, of a report or an advisory, keeps.
pub(crate) struct Checked {
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
}

impl Upload<'_> {
    pub(crate) fn check(&self) -> Result<Checked> {
        use sha1::Digest as _;
        if !matches!(self.kind, "document" | "sample") {
            return Err(CoreError::invalid(
                "kind",
                "document または sample を指定してください。",
            ));
        }
        if self.bytes.is_empty() {
            return Err(CoreError::invalid("file", "空のファイルは添付できません。"));
        }
        Ok(Checked {
            kind: self.kind.to_owned(),
            file_name: sanitize_file_name(self.file_name),
            // A sample is never labelled with a type a browser might act on.
            content_type: if self.kind == "sample" {
                "application/octet-stream".to_owned()
            } else {
                sanitize_content_type(self.content_type)
            },
            size: self.bytes.len() as i64,
            sha256: hex::encode(sha2::Sha256::digest(self.bytes)),
            sha1: hex::encode(sha1::Sha1::digest(self.bytes)),
            md5: hex::encode(md5::Md5::digest(self.bytes)),
        })
    }
}

/// A file name reduced to what is safe to store and send back: no directories, no control
/// characters, no characters that break a `Content-Disposition` header; never empty.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    let cleaned: String = cleaned.chars().take(150).collect();
    if cleaned.is_empty() {
        "attachment.bin".to_owned()
    } else {
        cleaned
    }
}

fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 8
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

impl Core {
    /// Applies the caller's view to a loaded thread.
    fn present(&self, actor: &Actor, orgs: &Orgs, l: &Loaded) -> Result<ReportThread> {
        let view = policy::report_view(actor, &l.facts());
        let my_org = actor.org().map(|o| o.id);
        let anonymized = l.anonymized();
        let full = view == ReportView::Full;
        let reference = self.reference();
        // Versions the caller may see.
        let visible: Vec<&VersionRow> = l
            .versions
            .iter()
            .filter(|v| {
                if v.sent {
                    full || v.released
                } else {
                    my_org == Some(v.author_org_id)
                }
            })
            .collect();
        let mut editions: Vec<EditionView> = Vec::new();
        let mut users: HashMap<i64, String> = HashMap::new();
        for v in &visible {
            let mut form = parse_form(&v.form)?;
            let number = if v.sent {
                edition_number(l.report.number, v.edition as u32)
            } else {
                None
            };
            form.number = number.clone();
            let author_name = if full {
                users.get(&v.author_user_id).cloned()
            } else {
                None
            };
            let vv = VersionView {
                version: v.version,
                form,
                anonymized: v.anonymized,
                author_org: orgs.r(v.author_org_id),
                author_name,
                created_at: v.created_at.clone(),
                sent_at: v.sent_at.clone(),
            };
            match editions.last_mut() {
                Some(e) if e.edition == v.edition as u32 => {
                    e.versions.push(vv);
                    e.state = if v.sent { "sent" } else { e.state };
                }
                _ => editions.push(EditionView {
                    edition: v.edition as u32,
                    number,
                    state: if v.sent { "sent" } else { "draft" },
                    versions: vec![vv],
                    changed_fields: Vec::new(),
                }),
            }
            users.entry(v.author_user_id).or_default();
        }
        // Each edition against the previous one of the same lineage: the reporter's own text
        // against the reporter's, an anonymised version against the anonymised one.
        for i in 1..editions.len() {
            let (prev, cur) = editions.split_at_mut(i);
            let (Some(p), Some(c)) = (prev.last(), cur.first_mut()) else {
                continue;
            };
            let Some(latest) = c.latest() else { continue };
            let base = p
                .versions
                .iter()
                .rev()
                .find(|v| v.anonymized == latest.anonymized)
                .or_else(|| p.latest());
            c.changed_fields = base
                .map(|b| latest.form.changed_fields(&b.form))
                .unwrap_or_default();
        }
        // The route: past the CEPTOAR of an anonymised report, the hop from the reporter is gone.
        let route: Vec<HopView> = l
            .hops
            .iter()
            .filter(|h| full || !(anonymized && h.from_org_id == l.report.origin_org_id))
            .filter(|h| {
                full || l
                    .versions
                    .iter()
                    .any(|v| v.id == h.version_id && v.released)
            })
            .map(|h| HopView {
                edition: h.edition as u32,
                from: orgs.r(h.from_org_id),
                to: orgs.r(h.to_org_id),
                at: h.at.clone(),
                anonymized: h.anonymized,
                tlp: h.tlp.parse().unwrap_or(Tlp::Red),
            })
            .collect();
        let originator = match (full, anonymized, l.report.ceptoar_org_id) {
            (false, true, Some(c)) => orgs.r(c),
            _ => orgs.r(l.report.origin_org_id),
        };
        let released_editions: BTreeSet<i64> = l
            .versions
            .iter()
            .filter(|v| v.released)
            .map(|v| v.edition)
            .collect();
        let mut attachments = Vec::new();
        for (n, a) in l.attachments.iter().enumerate() {
            if !full && !released_editions.contains(&a.edition) {
                continue;
            }
            let hide = !full && anonymized;
            attachments.push(AttachmentView {
                id: a.id,
                edition: a.edition as u32,
                kind: a.kind.clone(),
                file_name: if hide {
                    format!("別紙{}{}", n + 1, extension(&a.file_name))
                } else {
                    a.file_name.clone()
                },
                content_type: a.content_type.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
                sha1: a.sha1.clone(),
                md5: a.md5.clone(),
                uploaded_by: if hide && a.uploaded_by_org == l.report.origin_org_id {
                    originator.clone()
                } else {
                    orgs.r(a.uploaded_by_org)
                },
                at: a.at.clone(),
            });
        }
        let last_sent = editions.iter().rev().find(|e| e.state == "sent");
        let follow_up_expected = last_sent
            .and_then(|e| e.latest())
            .and_then(|v| v.form.outlook)
            .is_some_and(|o| o.promises_follow_up());
        let waiting_since = if follow_up_expected {
            last_sent
                .and_then(|e| e.latest())
                .and_then(|v| v.sent_at.clone())
        } else {
            None
        };
        let actions = match (actor, my_org) {
            (Actor::User(_), Some(org_id)) => self.actions(orgs, l, org_id)?,
            _ => Actions::default(),
        };
        let number = l.report.number.map(|n| format!("R{n}"));
        let current_tlp = editions
            .last()
            .and_then(|e| e.latest())
            .map(|v| v.form.tlp)
            .unwrap_or(l.scope.tlp);
        let exercise = editions
            .iter()
            .any(|e| e.versions.iter().any(|v| v.form.exercise));
        Ok(ReportThread {
            id: l.report.id,
            exercise,
            number,
            sector_name: reference.sector_name(&l.report.sector).to_owned(),
            sector: l.report.sector.clone(),
            tlp: current_tlp.min(l.scope.tlp),
            anonymized,
            view: if full { "full" } else { "released" },
            originator,
            editions,
            route,
            attachments,
            follow_up_expected,
            waiting_since,
            created_at: l.report.created_at.clone(),
            updated_at: l.report.updated_at.clone(),
            actions,
        })
    }

    fn actions(&self, orgs: &Orgs, l: &Loaded, org_id: i64) -> Result<Actions> {
        let org = orgs.get(org_id)?;
        let mut a = Actions::default();
        if let Some(ed) = l.pending_at(org_id).first() {
            a.forward_edition = Some(*ed as u32);
            a.forward_to = self
                .forward_targets(orgs, org, &l.report.sector)
                .into_iter()
                .map(OrgRef::from)
                .collect();
            let from_reporter = l.hops.iter().any(|h| {
                h.to_org_id == org_id && h.edition == *ed && h.from_org_id == l.report.origin_org_id
            });
            a.can_anonymize = from_reporter && org.roles.contains(&Role::Ceptoar);
            a.anonymize_required = a.can_anonymize && l.report.anonymize;
        }
        if let Some(d) = l.draft_of(org_id) {
            a.draft_edition = Some(d.edition as u32);
            if d.edition == 1 {
                let form = parse_form(&d.form)?;
                let legal = form.basis == Some(kyoyu_domain::ReportBasis::Legal);
                a.submit_to = self
                    .route_targets(orgs, org, &l.report.sector, legal)
                    .into_iter()
                    .map(OrgRef::from)
                    .collect();
            } else if let Some(first) = l.first_hop() {
                a.submit_to = vec![orgs.r(first)];
            }
        }
        a.can_follow_up = l.report.origin_org_id == org_id
            && a.draft_edition.is_none()
            && l.first_hop().is_some();
        a.can_attach =
            l.report.origin_org_id == org_id || l.hops.iter().any(|h| h.to_org_id == org_id);
        Ok(a)
    }

    /// One thread as the caller may see it (404 when they may not). Reading a non-White report
    /// is audited.
    pub async fn get_report(&self, actor: &Actor, id: i64) -> Result<ReportThread> {
        let mut tx = self.store.read().await?;
        let loaded = self.load_report(&mut tx, actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        let mut thread = self.present(actor, &orgs, &loaded)?;
        if thread.view == "full" {
            // Author names for those who see the full report.
            let mut names = HashMap::new();
            for v in &loaded.versions {
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(v.author_user_id)
                {
                    e.insert(tx.user(v.author_user_id).await?.name);
                }
            }
            for e in &mut thread.editions {
                for v in &mut e.versions {
                    if let Some(src) = loaded
                        .versions
                        .iter()
                        .find(|r| r.edition == e.edition as i64 && r.version == v.version)
                    {
                        v.author_name = names.get(&src.author_user_id).cloned();
                    }
                }
            }
        }
        drop(tx);
        if loaded.scope.tlp != Tlp::White {
            let mut tx = self.store.begin().await?;
            self.audit(
                &mut tx,
                actor,
                "report_read",
                &format!("report:{id}"),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(thread)
    }

    fn summarize(&self, t: &ReportThread) -> Option<ReportSummary> {
        let current = t.current()?;
        let form = &current.form;
        let title = form
            .summary
            .as_ref()
            .and_then(|s| s.description.as_deref())
            .and_then(|d| {
                d.lines()
                    .map(|l| l.trim_start_matches(['・', ' ', '　']))
                    .find(|l| !l.trim().is_empty())
            })
            .map(|l| l.chars().take(80).collect::<String>())
            .or_else(|| form.event.map(|e| e.label().to_owned()))
            .unwrap_or_else(|| "（概要未記入）".to_owned());
        let title = if t.exercise {
            format!("【訓練】{title}")
        } else {
            title
        };
        let last = t.editions.last()?;
        Some(ReportSummary {
            id: t.id,
            number: last.number.clone().or_else(|| t.number.clone()),
            sector: t.sector.clone(),
            sector_name: t.sector_name.clone(),
            tlp: t.tlp,
            severity: form.severity,
            event: form.event,
            title,
            operator_name: form.operator_name.clone(),
            originator: t.originator.clone(),
            edition: last.edition,
            state: last.state,
            anonymized: t.anonymized,
            follow_up_expected: t.follow_up_expected,
            waiting_since: t.waiting_since.clone(),
            updated_at: t.updated_at.clone(),
        })
    }

    fn matches(filter: &ReportFilter, t: &ReportThread) -> bool {
        let Some(v) = t.current() else { return false };
        let f = &v.form;
        if filter.tlp.is_some_and(|x| x != t.tlp)
            || filter.severity.is_some_and(|x| f.severity != Some(x))
            || filter.event.is_some_and(|x| f.event != Some(x))
            || filter.cause.is_some_and(|x| !f.causes.contains(&x))
            || filter.from.is_some_and(|x| f.reported_at < x)
            || filter.to.is_some_and(|x| f.reported_at > x)
        {
            return false;
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // Only the text the caller sees is searched, so a search cannot find a report
            // through words anonymisation removed.
            let q = q.to_lowercase();
            let hit = t.number.as_deref().is_some_and(|n| n.to_lowercase() == q)
                || f.texts()
                    .iter()
                    .any(|(_, text)| text.to_lowercase().contains(&q));
            if !hit {
                return false;
            }
        }
        true
    }

    /// Threads the caller may see, newest first, filtered and cursor-paginated.
    pub async fn list_reports(
        &self,
        actor: &Actor,
        filter: &ReportFilter,
    ) -> Result<Page<ReportSummary>> {
        let limit = filter.limit.unwrap_or(50).clamp(1, 200) as usize;
        self.collect(
            actor,
            ReportQuery {
                sector: filter.sector.clone(),
                before: filter.cursor,
                ..Default::default()
            },
            limit,
            |t| Self::matches(filter, t),
        )
        .await
    }

    /// The caller organisation's inbox.
    pub async fn inbox(&self, s: &Session, which: InboxBox) -> Result<Vec<ReportSummary>> {
        let org = acting_org(s)?;
        let q = match which {
            InboxBox::Drafts => ReportQuery {
                drafts_of: Some(org),
                ..Default::default()
            },
            InboxBox::ToForward => ReportQuery {
                to_forward_by: Some(org),
                ..Default::default()
            },
            InboxBox::Sent => ReportQuery {
                sent_by: Some(org),
                ..Default::default()
            },
            InboxBox::Received => ReportQuery {
                received_by: Some(org),
                ..Default::default()
            },
        };
        Ok(self.collect(&s.actor, q, 200, |_| true).await?.items)
    }

    /// Threads of the caller's organisation (as originator or sector ministry) whose latest
    /// edition promises a follow-up, longest waiting first.
    pub async fn follow_ups(&self, s: &Session) -> Result<Vec<ReportSummary>> {
        acting_org(s)?;
        let is_ministry = s.actor.has_role(Role::SectorMinistry);
        let jurisdiction = s
            .actor
            .org()
            .map(|o| o.jurisdiction.clone())
            .unwrap_or_default();
        let page = self
            .collect(&s.actor, ReportQuery::default(), 500, |t| {
                t.follow_up_expected
                    && (t.view == "full" || (is_ministry && jurisdiction.contains(&t.sector)))
            })
            .await?;
        let mut items = page.items;
        items.sort_by(|a, b| a.waiting_since.cmp(&b.waiting_since));
        Ok(items)
    }

    /// Walks visible threads newest first until `limit` match.
    async fn collect(
        &self,
        actor: &Actor,
        mut q: ReportQuery,
        limit: usize,
        keep: impl Fn(&ReportThread) -> bool,
    ) -> Result<Page<ReportSummary>> {
        let filter = ScopeFilter::of(actor);
        let mut tx = self.store.read().await?;
        let orgs = Orgs::load(&mut tx).await?;
        let mut items = Vec::new();
        let mut next = None;
        q.limit = 200;
        'outer: loop {
            let ids = tx.report_ids(&filter, &q).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            for id in ids {
                let loaded = self.load_report(&mut tx, actor, id).await?;
                let thread = self.present(actor, &orgs, &loaded)?;
                if thread.editions.is_empty() || !keep(&thread) {
                    continue;
                }
                if let Some(sum) = self.summarize(&thread) {
                    if items.len() == limit {
                        next = items.last().map(|s: &ReportSummary| s.id.to_string());
                        break 'outer;
                    }
                    items.push(sum);
                }
            }
            q.before = Some(last);
        }
        Ok(Page {
            items,
            next_cursor: next,
        })
    }

    /// The caller organisation's notifications about items it may see.
    pub async fn notifications(&self, s: &Session) -> Result<Vec<kyoyu_store::NotificationRow>> {
        let org = acting_org(s)?;
        Ok(self
            .store
            .read()
            .await?
            .notifications(&ScopeFilter::of(&s.actor), org, 100)
            .await?)
    }
}

impl Core {
    /// Attaches a document or a sample to the latest edition. Contents are kept once per
    /// SHA-256; MD5, SHA-1 and SHA-256 are recorded and shown.
    pub async fn add_attachment(
        &self,
        s: &Session,
        id: i64,
        up: Upload<'_>,
    ) -> Result<AttachmentView> {
        let org_id = acting_org(s)?;
        let c = up.check()?;
        let mut tx = self.store.begin().await?;
        let loaded = self.load_report(&mut tx, &s.actor, id).await?;
        let orgs = Orgs::load(&mut tx).await?;
        if !self.actions(&orgs, &loaded, org_id)?.can_attach {
            return Err(CoreError::Forbidden);
        }
        let row = AttachmentRow {
            id: 0,
            report_id: id,
            edition: loaded.max_edition().max(1),
            kind: c.kind.clone(),
            file_name: c.file_name.clone(),
            content_type: c.content_type.clone(),
            size: c.size,
            sha1: c.sha1.clone(),
            md5: c.md5.clone(),
            sha256: c.sha256.clone(),
            uploaded_by_user: s.user_id,
            uploaded_by_org: org_id,
            at: self.now_ts(),
        };
        tx.put_blob(&c.sha256, up.bytes).await?;
        let aid = tx.add_attachment(&row).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_attachment_added",
            &format!("report:{id}"),
            serde_json::json!({ "attachment": aid, "kind": c.kind, "sha256": c.sha256 }),
        )
        .await?;
        tx.commit().await?;
        let thread = self.get_report(&s.actor, id).await?;
        thread
            .attachments
            .into_iter()
            .find(|a| a.id == aid)
            .ok_or(CoreError::NotFound)
    }

    /// Downloads an attachment the caller may see. A sample is never served raw: it comes
    /// inside an AES-256 password-protected zip.
    pub async fn download_attachment(
        &self,
        actor: &Actor,
        id: i64,
        aid: i64,
        sample_password: &str,
    ) -> Result<Download> {
        let thread = self.get_report(actor, id).await?;
        let Some(a) = thread.attachments.iter().find(|a| a.id == aid) else {
            return Err(CoreError::NotFound);
        };
        let bytes = self.store.read().await?.blob(&a.sha256).await?;
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            actor,
            "report_attachment_downloaded",
            &format!("report:{id}"),
            serde_json::json!({ "attachment": aid }),
        )
        .await?;
        tx.commit().await?;
        if a.kind == "sample" {
            let zipped = zip_sample(&a.file_name, &bytes, sample_password)?;
            return Ok(Download {
                file_name: format!("{}.zip", a.file_name),
                content_type: "application/zip".into(),
                bytes: zipped,
                zipped: true,
            });
        }
        Ok(Download {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            bytes,
            zipped: false,
        })
    }
}

pub(crate) fn sanitize_content_type(ct: &str) -> String {
    let ct = ct.trim();
    let ok = !ct.is_empty()
        && ct.len() <= 100
        && ct.contains('/')
        && ct
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.+-_; =".contains(c));
    if ok {
        ct.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Wraps a sample in a zip encrypted with AES-256 (WinZip AE-2), as malware-exchange practice
/// expects (7-Zip and pyzipper open it; Info-ZIP `unzip` does not support AES).
pub fn zip_sample(name: &str, bytes: &[u8], password: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .with_aes_encryption(zip::AesMode::Aes256, password);
    zip.start_file(name, options)
        .map_err(|e| CoreError::Internal(format!("zip: {e}")))?;
    zip.write_all(bytes)
        .map_err(|e| CoreError::Internal(format!("zip: {e}")))?;
    zip.finish()
        .map_err(|e| CoreError::Internal(format!("zip: {e}")))?;
    Ok(out.into_inner())
}

impl Core {
    /// Where the caller's organisation may send a new report of `sector`.
    pub async fn report_targets(&self, s: &Session, sector: &str) -> Result<Vec<OrgRef>> {
        let org_id = acting_org(s)?;
        let mut tx = self.store.read().await?;
        let orgs = Orgs::load(&mut tx).await?;
        let org = orgs.get(org_id)?;
        Ok(self
            .route_targets(&orgs, org, sector, false)
            .into_iter()
            .map(OrgRef::from)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\x\\mal.exe"), "mal.exe");
        assert_eq!(sanitize_file_name("a\"b;c\r\n.txt"), "a_b_c.txt");
        assert_eq!(sanitize_file_name("...."), "attachment.bin");
        assert_eq!(sanitize_file_name("報道発表.pdf"), "報道発表.pdf");
    }

    #[test]
    fn a_sample_zip_is_encrypted() {
        let zip = zip_sample("mal.exe", b"MZ-not-really", "infected").unwrap();
        assert!(
            !zip.windows(13).any(|w| w == b"MZ-not-really"),
            "the sample must not appear in clear"
        );
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        assert!(archive.by_index(0).is_err(), "no password, no content");
        let mut f = archive.by_index_decrypt(0, b"infected").unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut back).unwrap();
        assert_eq!(back, b"MZ-not-really");
    }
}

/// One hop of a report's drill report.
#[derive(Debug, Clone, Serialize)]
pub struct RouteTiming {
    pub edition: u32,
    pub org: OrgRef,
    pub from: OrgRef,
    pub received_at: String,
    /// When the organisation passed the edition on (none for NISC, the end of the route).
    pub passed_on_at: Option<String>,
    pub seconds_to_pass_on: Option<i64>,
}

/// The drill report of a report (訓練, the vertical CEPTOAR drill): for every organisation on
/// the route, when each edition arrived and how long it took to pass it on, and who never did.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDrill {
    pub id: i64,
    pub number: Option<String>,
    pub exercise: bool,
    pub rows: Vec<RouteTiming>,
    pub never_passed_on: Vec<OrgRef>,
}

impl Core {
    pub async fn report_drill(&self, actor: &Actor, id: i64) -> Result<ReportDrill> {
        // Built from the route as the caller may see it, so anonymisation holds here too.
        let t = self.get_report(actor, id).await?;
        let nisc: BTreeSet<String> = {
            let mut tx = self.store.read().await?;
            Orgs::load(&mut tx)
                .await?
                .by_id
                .values()
                .filter(|o| o.roles.contains(&Role::Nisc))
                .map(|o| o.code.clone())
                .collect()
        };
        let mut rows = Vec::new();
        let mut never = Vec::new();
        for hop in &t.route {
            let next = t
                .route
                .iter()
                .find(|h| h.edition == hop.edition && h.from.code == hop.to.code);
            let seconds = next.and_then(|n| {
                let a = chrono::DateTime::parse_from_rfc3339(&hop.at).ok()?;
                let b = chrono::DateTime::parse_from_rfc3339(&n.at).ok()?;
                Some((b - a).num_seconds())
            });
            // NISC is the end of the route: it has nothing to pass on.
            if next.is_none() && !nisc.contains(&hop.to.code) && !never.contains(&hop.to) {
                never.push(hop.to.clone());
            }
            rows.push(RouteTiming {
                edition: hop.edition,
                org: hop.to.clone(),
                from: hop.from.clone(),
                received_at: hop.at.clone(),
                passed_on_at: next.map(|n| n.at.clone()),
                seconds_to_pass_on: seconds,
            });
        }
        Ok(ReportDrill {
            id,
            number: t.number.clone(),
            exercise: t.exercise,
            rows,
            never_passed_on: never,
        })
    }
}
