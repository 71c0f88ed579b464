//! Identifiers parsed once at the edge: organisation codes and e-mail addresses. Everything
//! past the parser holds a value that is known to be well formed.

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown {kind} code `{value}` (allowed: {allowed})")]
    UnknownCode {
        kind: &'static str,
        value: String,
        allowed: String,
    },
    #[error(
        "organisation code must be 2–40 characters of a–z, 0–9, '-' and '_', starting with a letter"
    )]
    OrgCode,
    #[error("not an e-mail address")]
    Email,
}

/// An organisation code such as `op-finance-1`: lowercase ASCII letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, pattern = "^[a-z][a-z0-9_-]{0,38}[a-z0-9_]$")
)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = (2..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && !s.ends_with('-');
        if ok {
            Ok(OrgCode(s.to_owned()))
        } else {
            Err(ParseError::OrgCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrgCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OrgCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An e-mail address, normalised to lower case. Deliberately permissive (one `@`, a dot in the
/// domain, no spaces): the address is a login name, not something this crate delivers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_lowercase();
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::Email);
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(s))
        } else {
            Err(ParseError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_codes() {
        assert!(OrgCode::parse("op-finance-1").is_ok());
        assert!(OrgCode::parse("nisc").is_ok());
        for bad in ["", "a", "Op", "1abc", "op-", "ｎｉｓｃ", "op finance"] {
            assert!(OrgCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse(" NISC-Contact@Demo.Example ").map(|e| e.to_string()),
            Ok("nisc-contact@demo.example".to_owned())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@demo.example",
            "a@@demo.example",
            "a b@demo.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
