//! Helpers of the web crate's integration tests.

pub mod browser;
