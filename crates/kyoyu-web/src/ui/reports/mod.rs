//! The report pages, one file per use case: the list, inbox and follow-ups (`list`), the form
//! laid out like 様式 and filing (`form`), follow-ups (`follow_up`), drafts (`draft`), passing
//! on (`forward`), the thread (`thread`), the printable view (`print`), attachments
//! (`attachments`) and the drill report (`drill`). Everything shown comes from the core's
//! `ReportThread`, which already applies scope and anonymisation.

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

mod attachments;
mod draft;
mod drill;
mod follow_up;
mod form;
mod forward;
mod list;
mod print;
mod thread;

pub use attachments::{download, upload};
pub use draft::{draft_form, save_draft};
pub use drill::drill;
pub use follow_up::{follow_up, follow_up_form};
pub use form::{create, new_form};
pub use forward::{forward, forward_edit, forward_form};
pub use list::{BoxQuery, ListQuery, follow_ups, inbox, list};
pub use print::{PrintTpl, print, report_print};
pub use thread::thread;
