//! An advisory as the store keeps it: its editions, the reports it derives from, the
//! scope-change requests to their senders, deliveries down the route with receipt and
//! handling, inquiries, attachments.

use serde::Serialize;

use super::AdvisoryForm;
use crate::codes::Tlp;
use crate::ids::{AdvisoryId, OrgId, ReportId, ScopeRequestId, UserId};
use crate::policy::ItemScope;
use crate::report::thread::AttachmentKind;

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryEdition {
    pub edition: u32,
    pub form: AdvisoryForm,
    pub published: bool,
    pub created_at: String,
    pub published_at: Option<String>,
}

/// One organisation's copy of an advisory: who passed it on, and when it was received (受領)
/// and handled (対応) — for the edition in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub org: OrgId,
    pub from: OrgId,
    pub edition: u32,
    pub delivered_at: String,
    pub received_at: Option<String>,
    pub handled_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inquiry {
    /// The ministry whose thread this is.
    pub ministry: OrgId,
    pub author_org: OrgId,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Accepted,
    Declined,
}

impl RequestState {
    pub const fn code(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Accepted => "accepted",
            RequestState::Declined => "declined",
        }
    }

    pub fn from_code(code: &str) -> Option<RequestState> {
        match code {
            "pending" => Some(RequestState::Pending),
            "accepted" => Some(RequestState::Accepted),
            "declined" => Some(RequestState::Declined),
            _ => None,
        }
    }
}

/// NISC's request to a source's sender to accept a wider scope for one advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    pub id: ScopeRequestId,
    pub advisory: AdvisoryId,
    pub report: ReportId,
    /// The addressed organisation (the reporter, or for an anonymised report its CEPTOAR).
    pub to_org: OrgId,
    pub wanted_tlp: Tlp,
    pub wanted_sectors: Vec<String>,
    pub reason: String,
    pub state: RequestState,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryAttachment {
    pub id: crate::ids::AttachmentId,
    pub kind: AttachmentKind,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryRecord {
    pub id: AdvisoryId,
    pub number: Option<i64>,
    pub published: bool,
    pub exercise: bool,
    pub created_by: UserId,
    pub created_at: String,
    pub published_at: Option<String>,
    pub updated_at: String,
    /// Oldest first; the last is in force.
    pub editions: Vec<AdvisoryEdition>,
    pub sources: Vec<ReportId>,
    pub deliveries: Vec<Delivery>,
    pub inquiries: Vec<Inquiry>,
    pub attachments: Vec<AdvisoryAttachment>,
    pub requests: Vec<ScopeRequest>,
    pub scope: ItemScope,
}

impl AdvisoryRecord {
    /// The edition in force.
    pub fn current(&self) -> Option<&AdvisoryEdition> {
        self.editions.last()
    }

    pub fn latest_edition(&self) -> u32 {
        self.editions.iter().map(|e| e.edition).max().unwrap_or(1)
    }

    pub fn delivery_to(&self, org: OrgId) -> Option<&Delivery> {
        self.deliveries.iter().find(|d| d.org == org)
    }

    /// `T<n>` of the edition in force (`T1-2` for a follow-up), once published.
    pub fn number_text(&self) -> Option<String> {
        super::edition_number(self.number, self.latest_edition())
    }
}
