//! A report thread as the store keeps it ([`ReportRecord`]: the thread, every edition version,
//! every hop of the route, every attachment) and as one view of it shows it ([`Presented`],
//! made by [`present`] from the rules of `policy::view`). The single-thread page and the list
//! rows of the read model both come from `present`, so a list can never show what the thread
//! page would hide.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{ReportForm, edition_number};
use crate::codes::{Cause, EventClass, Severity, Tlp};
use crate::ids::{AttachmentId, OrgId, ReportId, UserId, VersionId};
use crate::policy::view::{self, ReportView, VersionFacts};
use crate::policy::{ItemScope, ReportFacts};

/// One stored version of an edition (第N報): the original, an anonymised one, a correction.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub id: VersionId,
    pub edition: u32,
    pub version: u32,
    pub form: ReportForm,
    pub sent: bool,
    /// Left the reporter's side (went past its CEPTOAR, or straight to a ministry).
    pub released: bool,
    pub anonymized: bool,
    pub author_user: UserId,
    pub author_org: OrgId,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One hop of the route: who passed which version of an edition to whom, when.
#[derive(Debug, Clone, PartialEq)]
pub struct HopRecord {
    pub id: i64,
    pub version: VersionId,
    pub edition: u32,
    pub from: OrgId,
    pub to: OrgId,
    pub by_user: UserId,
    pub at: String,
    pub anonymized: bool,
    pub tlp: Tlp,
    /// The recipient passed this edition on (or is NISC, the end of the route).
    pub forwarded: bool,
}

/// `document` (別紙) or `sample` (検体).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Document,
    Sample,
}

impl AttachmentKind {
    pub const fn code(self) -> &'static str {
        match self {
            AttachmentKind::Document => "document",
            AttachmentKind::Sample => "sample",
        }
    }

    pub fn from_code(code: &str) -> Option<AttachmentKind> {
        match code {
            "document" => Some(AttachmentKind::Document),
            "sample" => Some(AttachmentKind::Sample),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub edition: u32,
    pub kind: AttachmentKind,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub uploaded_by_user: UserId,
    pub uploaded_by_org: OrgId,
    pub at: String,
}

/// Everything stored about a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub id: ReportId,
    pub number: Option<i64>,
    pub sector: String,
    pub origin_org: OrgId,
    pub origin_user: UserId,
    /// The CEPTOAR the reporter sent the first edition to, if any.
    pub ceptoar: Option<OrgId>,
    /// The reporter asked that CEPTOAR to anonymise it.
    pub anonymize_requested: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Oldest first, by edition then version.
    pub versions: Vec<VersionRecord>,
    /// In the order they happened.
    pub hops: Vec<HopRecord>,
    pub attachments: Vec<AttachmentRecord>,
    /// The sharing-scope facts the policy decides on.
    pub scope: ItemScope,
}

impl ReportRecord {
    pub fn facts(&self) -> ReportFacts {
        ReportFacts {
            origin_org: self.origin_org,
            author: Some(self.origin_user),
            ceptoar: self.ceptoar,
        }
    }

    /// Whether a CEPTOAR passed it on anonymised.
    pub fn anonymized(&self) -> bool {
        self.versions.iter().any(|v| v.anonymized)
    }

    /// Editions waiting at `org` to be passed on, lowest first.
    pub fn pending_at(&self, org: OrgId) -> Vec<u32> {
        let mut eds: Vec<u32> = self
            .hops
            .iter()
            .filter(|h| h.to == org && !h.forwarded)
            .map(|h| h.edition)
            .collect();
        eds.sort_unstable();
        eds.dedup();
        eds
    }

    pub fn max_edition(&self) -> u32 {
        self.versions.iter().map(|v| v.edition).max().unwrap_or(0)
    }

    /// The unsent draft `org` is writing, if any.
    pub fn draft_of(&self, org: OrgId) -> Option<&VersionRecord> {
        self.versions
            .iter()
            .find(|v| !v.sent && v.author_org == org)
    }

    /// The first recipient of the route (where follow-ups go).
    pub fn first_hop(&self) -> Option<OrgId> {
        self.hops
            .iter()
            .find(|h| h.from == self.origin_org)
            .map(|h| h.to)
    }

    /// The hop by which `org` received `edition` (the latest, if it came twice).
    pub fn received(&self, org: OrgId, edition: u32) -> Option<&HopRecord> {
        self.hops
            .iter()
            .filter(|h| h.to == org && h.edition == edition)
            .max_by_key(|h| h.id)
    }

    pub fn version(&self, id: VersionId) -> Option<&VersionRecord> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// Whether any edition is marked as an exercise (訓練).
    pub fn exercise(&self) -> bool {
        self.versions.iter().any(|v| v.form.exercise)
    }
}

/// A version as a view shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionShown {
    pub version: u32,
    pub form: ReportForm,
    pub anonymized: bool,
    pub author_org: OrgId,
    /// Only for views that show the reporter's identity.
    #[serde(skip)]
    pub author_user: Option<UserId>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditionState {
    Draft,
    Sent,
}

impl EditionState {
    pub const fn code(self) -> &'static str {
        match self {
            EditionState::Draft => "draft",
            EditionState::Sent => "sent",
        }
    }

    pub fn from_code(code: &str) -> Option<EditionState> {
        match code {
            "draft" => Some(EditionState::Draft),
            "sent" => Some(EditionState::Sent),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditionShown {
    pub edition: u32,
    pub number: Option<String>,
    pub state: EditionState,
    /// Every version the view shows, oldest first; the last is the one in force.
    pub versions: Vec<VersionShown>,
    /// Fields that differ from the previous edition.
    pub changed_fields: Vec<String>,
}

impl EditionShown {
    pub fn latest(&self) -> Option<&VersionShown> {
        self.versions.last()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopShown {
    pub edition: u32,
    pub from: OrgId,
    pub to: OrgId,
    pub at: String,
    pub anonymized: bool,
    pub tlp: Tlp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentShown {
    pub id: AttachmentId,
    pub edition: u32,
    pub kind: AttachmentKind,
    /// For the released view of an anonymised report, `別紙N.ext`.
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub uploaded_by: OrgId,
    pub at: String,
}

/// One view of a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    pub id: ReportId,
    pub view: ReportView,
    pub number: Option<String>,
    pub sector: String,
    pub tlp: Tlp,
    pub anonymized: bool,
    pub exercise: bool,
    pub originator: OrgId,
    pub editions: Vec<EditionShown>,
    pub route: Vec<HopShown>,
    pub attachments: Vec<AttachmentShown>,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub created_at: String,
    /// The latest change this view shows.
    pub updated_at: String,
}

/// The file name an attachment of an anonymised report shows past the CEPTOAR: `別紙N.ext`.
fn placeholder_name(n: usize, original: &str) -> String {
    let ext = match original.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 8
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    };
    let stem = crate::messages::ja("report.attachment_placeholder", &[("n", &n.to_string())]);
    format!("{stem}{ext}")
}

/// Applies `view` to a stored thread. Everything a page, a list row or a search shows of a
/// thread goes through here.
pub fn present(view: ReportView, rec: &ReportRecord) -> Presented {
    let anonymized = rec.anonymized();
    let full = view.is_full();
    let mut editions: Vec<EditionShown> = Vec::new();
    for v in rec.versions.iter().filter(|v| {
        view::shows_version(
            view,
            VersionFacts {
                sent: v.sent,
                released: v.released,
                author_org: v.author_org,
            },
            rec.origin_org,
        )
    }) {
        let number = if v.sent {
            edition_number(rec.number, v.edition)
        } else {
            None
        };
        let mut form = v.form.clone();
        form.number = number.clone();
        let shown = VersionShown {
            version: v.version,
            form,
            anonymized: v.anonymized,
            author_org: v.author_org,
            author_user: full.then_some(v.author_user),
            created_at: v.created_at.clone(),
            sent_at: v.sent_at.clone(),
        };
        let state = if v.sent {
            EditionState::Sent
        } else {
            EditionState::Draft
        };
        match editions.last_mut() {
            Some(e) if e.edition == v.edition => {
                e.versions.push(shown);
                if v.sent {
                    e.state = EditionState::Sent;
                }
            }
            _ => editions.push(EditionShown {
                edition: v.edition,
                number,
                state,
                versions: vec![shown],
                changed_fields: Vec::new(),
            }),
        }
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
    let released_version = |id: VersionId| rec.version(id).is_some_and(|v| v.released);
    let route: Vec<HopShown> = rec
        .hops
        .iter()
        .filter(|h| {
            view::shows_hop(
                view,
                anonymized,
                h.from,
                rec.origin_org,
                released_version(h.version),
            )
        })
        .map(|h| HopShown {
            edition: h.edition,
            from: h.from,
            to: h.to,
            at: h.at.clone(),
            anonymized: h.anonymized,
            tlp: h.tlp,
        })
        .collect();
    let originator = view::originator(view, anonymized, rec.origin_org, rec.ceptoar);
    let released_editions: BTreeSet<u32> = rec
        .versions
        .iter()
        .filter(|v| v.released)
        .map(|v| v.edition)
        .collect();
    let hide = view::hides_attachment_names(view, anonymized);
    let attachments = rec
        .attachments
        .iter()
        .enumerate()
        .filter(|(_, a)| view::shows_attachment(view, released_editions.contains(&a.edition)))
        .map(|(n, a)| AttachmentShown {
            id: a.id,
            edition: a.edition,
            kind: a.kind,
            file_name: if hide {
                placeholder_name(n + 1, &a.file_name)
            } else {
                a.file_name.clone()
            },
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            sha1: a.sha1.clone(),
            md5: a.md5.clone(),
            uploaded_by: if hide && a.uploaded_by_org == rec.origin_org {
                originator
            } else {
                a.uploaded_by_org
            },
            at: a.at.clone(),
        })
        .collect::<Vec<_>>();
    let last_sent = editions
        .iter()
        .rev()
        .find(|e| e.state == EditionState::Sent);
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
    let current_tlp = editions
        .last()
        .and_then(|e| e.latest())
        .map(|v| v.form.tlp)
        .unwrap_or(rec.scope.tlp);
    let exercise = editions
        .iter()
        .any(|e| e.versions.iter().any(|v| v.form.exercise));
    // The latest change this view shows, so a list does not move a thread up for what its
    // viewer cannot see.
    let updated_at = editions
        .iter()
        .flat_map(|e| e.versions.iter())
        .flat_map(|v| [Some(&v.created_at), v.sent_at.as_ref()])
        .flatten()
        .chain(route.iter().map(|h| &h.at))
        .chain(attachments.iter().map(|a| &a.at))
        .max()
        .cloned()
        .unwrap_or_else(|| rec.created_at.clone());
    Presented {
        id: rec.id,
        view,
        number: rec.number.map(|n| format!("R{n}")),
        sector: rec.sector.clone(),
        tlp: current_tlp.min(rec.scope.tlp),
        anonymized,
        exercise,
        originator,
        editions,
        route,
        attachments,
        follow_up_expected,
        waiting_since,
        created_at: rec.created_at.clone(),
        updated_at,
    }
}

/// What a list row of one view of a thread holds: everything lists show, filter and sort on.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: ReportId,
    pub view: ReportView,
    /// The number of the latest edition shown (`R1-2`), or the thread's.
    pub number: Option<String>,
    pub sector: String,
    pub tlp: Tlp,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub causes: BTreeSet<Cause>,
    /// The first line of the description, at most 80 characters; empty when there is none.
    pub title: String,
    pub operator_name: Option<String>,
    pub originator: OrgId,
    pub edition: u32,
    pub state: EditionState,
    pub anonymized: bool,
    pub exercise: bool,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub has_draft: bool,
    /// Of the form in force, as UTC text (the store's time format).
    pub reported_at: chrono::DateTime<chrono::Utc>,
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    pub discovered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: String,
}

impl Presented {
    /// The form in force: the latest version of the latest edition.
    pub fn current(&self) -> Option<&VersionShown> {
        self.editions.last().and_then(|e| e.latest())
    }

    /// The list row of this view; `None` when the view shows no edition at all.
    pub fn summary(&self) -> Option<Summary> {
        let last = self.editions.last()?;
        let form = &last.latest()?.form;
        let title = form.title();
        let utc = |t: chrono::DateTime<chrono::FixedOffset>| t.with_timezone(&chrono::Utc);
        let summary = form.summary.as_ref();
        Some(Summary {
            id: self.id,
            view: self.view,
            number: last.number.clone().or_else(|| self.number.clone()),
            sector: self.sector.clone(),
            tlp: self.tlp,
            severity: form.severity,
            event: form.event,
            causes: form.causes.iter().copied().collect(),
            title,
            operator_name: form.operator_name.clone(),
            originator: self.originator,
            edition: last.edition,
            state: last.state,
            anonymized: self.anonymized,
            exercise: self.exercise,
            follow_up_expected: self.follow_up_expected,
            waiting_since: self.waiting_since.clone(),
            has_draft: self.editions.iter().any(|e| e.state == EditionState::Draft),
            reported_at: utc(form.reported_at),
            occurred_at: summary.and_then(|s| s.occurred_at).map(utc),
            discovered_at: summary.and_then(|s| s.discovered_at).map(utc),
            updated_at: self.updated_at.clone(),
        })
    }
}
