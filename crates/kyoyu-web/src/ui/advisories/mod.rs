//! The advisory pages, one file per use case: the list and inbox (`list`), NISC's form (図7)
//! with the sources (`form`), the advisory with its ceiling, lint, distribution table and
//! inquiries (`view`), the actions on it (`actions`), follow-ups (`follow_up`), the drill
//! report (`drill`), the printable view (`print`), a source's scope-request inbox
//! (`scope_requests`) and attachments (`attachments`).

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

mod actions;
mod attachments;
mod drill;
mod follow_up;
mod form;
mod list;
mod print;
mod scope_requests;
mod view;

pub use actions::{ack, forward, inquire, publish, request_scope};
pub use attachments::{download, upload};
pub use drill::drill;
pub use follow_up::{follow_up, follow_up_form};
pub use form::{create, edit_form, new_form, update};
pub use list::list;
pub use print::{advisory_print, print};
pub use scope_requests::{decide, scope_requests};
pub use view::view;

use view::view_or_page;
