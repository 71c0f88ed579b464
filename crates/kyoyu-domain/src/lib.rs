//! The pure model of kyoyu: every code and label of the domain, the reference data (sectors,
//! ministries, services), the sharing-scope policy and the audit chain. Nothing in this crate
//! performs I/O, awaits, or knows about SQL or HTTP; everything above it depends on it.

pub mod advisory;
pub mod audit;
pub mod codes;
pub mod error;
pub mod ids;
pub mod messages;
pub mod org;
pub mod policy;
pub mod reference;
pub mod report;
pub mod risk;
pub mod routine;
pub mod search;
pub mod stats;
pub mod wareki;

pub use codes::{
    AdvisoryBasis, Cause, CauseGroup, EventClass, Outlook, PressState, ReportBasis, Role, Severity,
    SystemStatus, Tlp,
};
pub use error::ErrorCode;
pub use ids::{
    AdvisoryId, AttachmentId, ItemId, OrgId, ReportId, ScopeRequestId, UserId, VersionId,
};
pub use org::{Email, OrgCode, ParseError};
