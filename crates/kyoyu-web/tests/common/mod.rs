//! Helpers of the web crate's integration tests.

pub mod browser;
pub mod risk;
