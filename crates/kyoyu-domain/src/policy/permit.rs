//! Permits: proof that the policy allowed a change. The store's writes to shared items take
//! one, and only the policy's `may_*` functions make them (their fields are private to this
//! module tree), so a use case cannot write before the check — the compiler enforces the order.

use crate::error::ErrorCode;
use crate::ids::{AdvisoryId, OrgId, ReportId, ScopeRequestId, UserId, VersionId};
use crate::messages::Msg;

/// Why the policy said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub code: ErrorCode,
    /// The API field the refusal is about, if any.
    pub field: Option<String>,
    /// What to tell the person, beyond the code's own text.
    pub detail: Option<Msg>,
}

impl Denied {
    pub(crate) fn new(code: ErrorCode) -> Denied {
        Denied {
            code,
            field: None,
            detail: None,
        }
    }

    pub(crate) fn at(code: ErrorCode, field: impl Into<String>, detail: Msg) -> Denied {
        Denied {
            code,
            field: Some(field.into()),
            detail: Some(detail),
        }
    }

    pub(crate) fn because(code: ErrorCode, detail: Msg) -> Denied {
        Denied {
            code,
            field: None,
            detail: Some(detail),
        }
    }
}

/// Where one hop of a report goes, and what reaching there means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    pub(super) to: OrgId,
    pub(super) release: bool,
    pub(super) end_of_route: bool,
}

impl Hop {
    pub fn to(&self) -> OrgId {
        self.to
    }

    /// The version leaves the reporter's side: it is released and the thread is shared with
    /// its TLP audience. (Not when an operator sends to its own CEPTOAR.)
    pub fn release(&self) -> bool {
        self.release
    }

    /// The recipient is NISC: nothing is passed on from there, and the thread is numbered on
    /// its first arrival.
    pub fn end_of_route(&self) -> bool {
        self.end_of_route
    }
}

/// The first edition's route, decided when it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstSend {
    pub(super) hop: Hop,
    /// The CEPTOAR the report goes through, if it does.
    pub(super) ceptoar: Option<OrgId>,
    /// The reporter asked that CEPTOAR to anonymise it.
    pub(super) anonymize: bool,
}

impl FirstSend {
    pub fn hop(&self) -> Hop {
        self.hop
    }

    pub fn ceptoar(&self) -> Option<OrgId> {
        self.ceptoar
    }

    pub fn anonymize(&self) -> bool {
        self.anonymize
    }
}

/// May file a new report (第1報), as a draft or sent along `send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePermit {
    pub(super) org: OrgId,
    pub(super) user: UserId,
    pub(super) send: Option<FirstSend>,
    pub(super) named: Vec<OrgId>,
}

impl FilePermit {
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn send(&self) -> Option<FirstSend> {
        self.send
    }
    /// Organisations added by name beyond the TLP audience (表5 ※1).
    pub fn named(&self) -> &[OrgId] {
        &self.named
    }
}

/// May edit, or send, the draft `version` of `report`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPermit {
    pub(super) report: ReportId,
    pub(super) version: VersionId,
    pub(super) edition: u32,
    pub(super) org: OrgId,
    pub(super) user: UserId,
    /// Set when sending: the first edition's route, or the hop of a follow-up.
    pub(super) first: Option<FirstSend>,
    pub(super) hop: Option<Hop>,
}

impl DraftPermit {
    pub fn report(&self) -> ReportId {
        self.report
    }
    pub fn version(&self) -> VersionId {
        self.version
    }
    pub fn edition(&self) -> u32 {
        self.edition
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn first(&self) -> Option<FirstSend> {
        self.first
    }
    pub fn hop(&self) -> Option<Hop> {
        self.first.map(|f| f.hop).or(self.hop)
    }
}

/// May add edition `edition` (続報) to `report`, as a draft or sent along `hop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpPermit {
    pub(super) report: ReportId,
    pub(super) edition: u32,
    pub(super) org: OrgId,
    pub(super) user: UserId,
    pub(super) hop: Option<Hop>,
}

impl FollowUpPermit {
    pub fn report(&self) -> ReportId {
        self.report
    }
    pub fn edition(&self) -> u32 {
        self.edition
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn hop(&self) -> Option<Hop> {
        self.hop
    }
}

/// May pass `edition` of `report`, waiting at `org`, on along `hop` — as received, or as a new
/// version (a correction, or the anonymised version at the reporter's CEPTOAR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPermit {
    pub(super) report: ReportId,
    pub(super) edition: u32,
    pub(super) org: OrgId,
    pub(super) user: UserId,
    pub(super) received: VersionId,
    pub(super) anonymize: bool,
    pub(super) hop: Hop,
}

impl ForwardPermit {
    pub fn report(&self) -> ReportId {
        self.report
    }
    pub fn edition(&self) -> u32 {
        self.edition
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    /// The version the holder received.
    pub fn received(&self) -> VersionId {
        self.received
    }
    /// The holder must anonymise what it passes on.
    pub fn anonymize(&self) -> bool {
        self.anonymize
    }
    pub fn hop(&self) -> Hop {
        self.hop
    }
}

/// May attach a document or sample to `edition` of `report`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPermit {
    pub(super) report: ReportId,
    pub(super) edition: u32,
    pub(super) org: OrgId,
    pub(super) user: UserId,
}

impl AttachPermit {
    pub fn report(&self) -> ReportId {
        self.report
    }
    pub fn edition(&self) -> u32 {
        self.edition
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// NISC may draft, edit, attach to and ask about `advisory` (or a new one when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPermit {
    pub(super) advisory: Option<AdvisoryId>,
    pub(super) org: OrgId,
    pub(super) user: UserId,
}

impl AdvisoryPermit {
    pub fn advisory(&self) -> Option<AdvisoryId> {
        self.advisory
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// May publish `advisory` (or its follow-up edition `edition`) to the recipient ministries
/// `to`: within the sources' ceiling, and with the lint clean or overridden with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishPermit {
    pub(super) advisory: AdvisoryId,
    pub(super) edition: u32,
    pub(super) org: OrgId,
    pub(super) user: UserId,
    pub(super) to: Vec<OrgId>,
    pub(super) lint_override: Option<String>,
}

impl PublishPermit {
    pub fn advisory(&self) -> AdvisoryId {
        self.advisory
    }
    pub fn edition(&self) -> u32 {
        self.edition
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    /// Recipient ministries that get it now.
    pub fn to(&self) -> &[OrgId] {
        &self.to
    }
    /// The written reason for publishing despite lint hits (audited).
    pub fn lint_override(&self) -> Option<&str> {
        self.lint_override.as_deref()
    }
}

/// May pass `advisory` on from `from` to `to`, each inside its TLP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverPermit {
    pub(super) advisory: AdvisoryId,
    pub(super) from: OrgId,
    pub(super) user: UserId,
    pub(super) to: Vec<OrgId>,
}

impl DeliverPermit {
    pub fn advisory(&self) -> AdvisoryId {
        self.advisory
    }
    pub fn from(&self) -> OrgId {
        self.from
    }
    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn to(&self) -> &[OrgId] {
        &self.to
    }
}

/// May record receipt (受領) or handling (対応) of `advisory` for `org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckPermit {
    pub(super) advisory: AdvisoryId,
    pub(super) org: OrgId,
    pub(super) user: UserId,
}

impl AckPermit {
    pub fn advisory(&self) -> AdvisoryId {
        self.advisory
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// May write in the inquiry thread of `ministry` about `advisory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryPermit {
    pub(super) advisory: AdvisoryId,
    pub(super) ministry: OrgId,
    pub(super) org: OrgId,
    pub(super) user: UserId,
}

impl InquiryPermit {
    pub fn advisory(&self) -> AdvisoryId {
        self.advisory
    }
    /// Whose thread: the ministry that asked.
    pub fn ministry(&self) -> OrgId {
        self.ministry
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// May answer the scope-change request `request` for the addressed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionPermit {
    pub(super) request: ScopeRequestId,
    pub(super) user: UserId,
}

impl DecisionPermit {
    pub fn request(&self) -> ScopeRequestId {
        self.request
    }
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// May load whole threads and organisations in bulk (the corpus generator, a migration from
/// another system): the service itself only, never a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPermit {
    pub(super) _private: (),
}

/// Only the system actor imports.
pub fn may_import(actor: &super::Actor) -> Result<ImportPermit, Denied> {
    match actor {
        super::Actor::System => Ok(ImportPermit { _private: () }),
        _ => Err(Denied::new(ErrorCode::Forbidden)),
    }
}
