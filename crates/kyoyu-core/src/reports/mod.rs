//! Incident reports (情報連絡) end to end, one file per use case: filing (`file`), drafts
//! (`draft`), passing on with anonymisation at the CEPTOAR (`forward`), follow-ups
//! (`follow_up`), attachments and samples (`attachments`), lists, inbox and follow-up
//! tracking (`list`), the single thread (`thread`) and the drill report (`drill`).
//!
//! Visibility and permission go through the policy only: threads are read through the
//! store's scoped reader, what a view shows comes from `report::thread::present`, and every
//! change takes the permit `policy::route` returns.

mod attachments;
mod draft;
mod drill;
mod file;
mod follow_up;
mod forward;
mod list;
mod thread;

use kyoyu_domain::messages::Msg;
use kyoyu_domain::report::{FieldError, ReportForm, SmlCheck};
use kyoyu_domain::{AttachmentId, ReportId, Tlp};
use serde::Serialize;

pub(crate) use attachments::download as download_file;
pub use attachments::{Download, Upload, sanitize_file_name, zip_sample};
pub use drill::{ReportDrill, RouteTiming};
pub use list::{InboxBox, Page, ReportFilter, ReportSummary};

pub use crate::directory::OrgRef;
use crate::{Core, CoreError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    pub version: u32,
    pub form: ReportForm,
    pub anonymized: bool,
    pub author_org: OrgRef,
    /// The writer's name, for those who see the full report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// kyoyu's suggestion for ⑥ (表3) from the service and figures of this version, beside
    /// the reporter's answer in `form.impact.sml_deviation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sml_check: Option<SmlCheck>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HopView {
    pub edition: u32,
    pub from: OrgRef,
    pub to: OrgRef,
    pub at: String,
    pub anonymized: bool,
    pub tlp: Tlp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub id: AttachmentId,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportThread {
    pub id: ReportId,
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

/// The first of a form's validation errors, as the API reports it (`form.<path>`).
pub(crate) fn form_errors(errors: Vec<FieldError>) -> CoreError {
    match errors.into_iter().next() {
        Some(e) => CoreError::invalid(
            format!("form.{}", e.field),
            Msg::new("invalid.as_is").arg("message", e.message),
        ),
        None => CoreError::invalid("form", Msg::new("invalid.form")),
    }
}

impl Core {
    /// Checks the shape of a form against the reference data.
    pub(crate) fn validate_report_form(&self, form: &ReportForm) -> Result<()> {
        form.validate(&self.reference()).map_err(form_errors)
    }

    /// `【訓練】` for an exercise, for notification texts.
    pub(crate) fn drill_prefix(exercise: bool) -> String {
        if exercise {
            kyoyu_domain::messages::ja("report.exercise_prefix", &[])
        } else {
            String::new()
        }
    }
}
