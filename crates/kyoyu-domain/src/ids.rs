//! Typed identifiers: a report id cannot be passed where an organisation id is expected. Every
//! layer carries these; only the store turns them into the integers it keeps.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                        utoipa::openapi::schema::KnownFormat::Int64,
                    )))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl From<i64> for $name {
            fn from(v: i64) -> $name {
                $name(v)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// An organisation.
    OrgId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A report thread (情報連絡); the same number as its shareable item.
    ReportId
);
id_type!(
    /// An advisory (情報提供); the same number as its shareable item.
    AdvisoryId
);
id_type!(
    /// A shareable item of either kind: what the sharing-scope policy decides about.
    ItemId
);
id_type!(
    /// One stored version of a report edition.
    VersionId
);
id_type!(
    /// An attachment (別紙・検体) of a report or an advisory.
    AttachmentId
);
id_type!(
    /// A scope-change request to a source's sender.
    ScopeRequestId
);

impl From<ReportId> for ItemId {
    fn from(id: ReportId) -> ItemId {
        ItemId(id.0)
    }
}

impl From<AdvisoryId> for ItemId {
    fn from(id: AdvisoryId) -> ItemId {
        ItemId(id.0)
    }
}
