//! kyoyu's items in the formats the threat-intelligence world exchanges: STIX 2.1 bundles and
//! the TAXII 2.1 collections that serve them. Everything here starts from what the scoped
//! reader answered for the caller — the same view, anonymisation included, as the page — so
//! an export can never hold more than the caller could read.

mod export;
mod import;
pub mod stix;
pub mod taxii;

pub use export::stix_file;
pub use taxii::{Collection, ObjectPage, ObjectQuery, VersionFilter};
