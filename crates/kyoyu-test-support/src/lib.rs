//! Test support shared by every crate's tests: a database per test on each backend
//! (`TestDb`), a clock the test moves (`FixedClock`), the black-box harness that boots the real
//! router on a real port over the demo world (`TestApp`), and builders for report forms. It is
//! a dev-dependency only: no production crate depends on it (the architecture test checks).
// Test support: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod clock;
mod db;

pub use app::{
    TestApp, apps, apps_configured, apps_with, client, csrf_field, fixture_form, form_for,
};
pub use clock::FixedClock;
pub use db::{TestDb, tamper_with_audit_log};
