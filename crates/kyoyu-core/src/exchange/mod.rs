//! kyoyu's items in the formats the threat-intelligence world exchanges: STIX 2.1 bundles
//! (`export`, and in: `import`), the TAXII 2.1 collections that serve them (`taxii`) and a MISP
//! feed (`misp`). Everything out starts from what the scoped reader answered for the caller —
//! the same view, anonymisation included, as the page — so an export can never hold more than
//! the caller could read; everything in goes through the use cases a form from the page does.

mod export;
mod import;
pub mod misp;
pub mod stix;
pub mod taxii;

pub use export::stix_file;
pub use misp::MispFeed;
pub use taxii::{Collection, ObjectPage, ObjectQuery, VersionFilter};
