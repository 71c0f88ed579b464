//! Advisories (情報提供) end to end, one file per use case: NISC drafts from source reports
//! (`draft`) under the scope ceiling those sources allow (`sources`), asks their senders to
//! widen it (`scope_requests`), checks the text for anything that identifies a source and
//! publishes (`publish`); the advisory flows down to CEPTOARs and operators within its TLP
//! (`forward`) with receipt and handling tracked (`ack`), inquiries from ministries in scope
//! (`inquiry`), attachments (`attachments`), lists (`list`), the single advisory (`view`) and
//! the drill report (`drill`).

mod ack;
mod attachments;
mod draft;
mod drill;
mod forward;
mod inquiry;
mod list;
mod publish;
mod scope_requests;
mod sources;
mod view;

use kyoyu_domain::advisory::{AdvisoryForm, Ceiling, Limit, LintHit};
use kyoyu_domain::{AdvisoryId, AttachmentId, ReportId, ScopeRequestId, Tlp};
use serde::Serialize;

pub use drill::{DrillReport, DrillRow};
pub use list::{AdvisoryFilter, AdvisorySummary};

use crate::directory::OrgRef;
use crate::reports::form_errors;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceView {
    pub report_id: ReportId,
    pub number: String,
    pub tlp: Tlp,
    pub sector: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeRequestView {
    pub id: ScopeRequestId,
    pub advisory_id: AdvisoryId,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub org: OrgRef,
    pub from: OrgRef,
    pub delivered_at: String,
    pub received_at: Option<String>,
    pub handled_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InquiryView {
    /// The ministry whose thread this is.
    pub ministry: OrgRef,
    pub author: OrgRef,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryActions {
    pub can_edit: bool,
    pub can_publish: bool,
    pub forward_to: Vec<OrgRef>,
    pub can_receive: bool,
    pub can_handle: bool,
    pub can_inquire: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryView {
    pub id: AdvisoryId,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: AttachmentId,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub at: String,
}

/// The texts the lint reads: the form's, and the attachments' file names.
fn lint_texts<'a>(form: &'a AdvisoryForm, names: &'a [String]) -> Vec<(&'static str, &'a str)> {
    let mut texts = form.texts();
    texts.extend(names.iter().map(|n| ("attachments", n.as_str())));
    texts
}
