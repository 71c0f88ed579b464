//! The fixed taxonomies of the handbook (seed 000) as types: every code a form or an API carries
//! is parsed once into one of these enums. Codes are stable `snake_case` strings for storage and
//! APIs; labels a person reads come from the message catalogue under `<prefix>.<code>`.

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order the seed lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The catalogue prefix of this taxonomy's labels.
            pub const PREFIX: &'static str = $prefix;

            /// The stable code used in storage and APIs.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The message-catalogue key of this value's label.
            pub fn label_key(self) -> String {
                format!("{}.{}", $prefix, self.code())
            }

            /// The Japanese label a person reads.
            pub fn label(self) -> &'static str {
                crate::messages::t(crate::messages::Locale::Ja, &self.label_key())
            }

            /// The allowed codes, for error messages.
            pub fn codes() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::org::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_code(s).ok_or_else(|| crate::org::ParseError::UnknownCode {
                    kind: $prefix,
                    value: s.to_owned(),
                    allowed: Self::codes(),
                })
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use code_enum;

code_enum!(
    /// Organisation roles (関係主体, DOMAIN.md §1). An organisation holds a set of them.
    Role, "role" {
        Nisc = "nisc",
        SectorMinistry = "sector_ministry",
        Ceptoar = "ceptoar",
        Operator = "operator",
        IncidentResponseMinistry = "incident_response_ministry",
        SecurityMinistry = "security_ministry",
        DisasterMinistry = "disaster_ministry",
        SecurityAgency = "security_agency",
        EventOrg = "event_org",
        CyberspaceVendor = "cyberspace_vendor",
        CeptoarCouncil = "ceptoar_council",
    }
);

code_enum!(
    /// Traffic Light Protocol sharing scope (情報共有範囲, 表5), narrowest first.
    Tlp, "tlp" {
        Red = "red",
        Amber = "amber",
        Green = "green",
        White = "white",
    }
);

impl Tlp {
    /// Whether `self` is no wider than `other` (Red ⊂ Amber ⊂ Green ⊂ White).
    pub fn within(self, other: Tlp) -> bool {
        self <= other
    }

    /// The explanation of the scope shown beside the badge.
    pub fn meaning(self) -> &'static str {
        crate::messages::t(
            crate::messages::Locale::Ja,
            &format!("tlp_meaning.{}", self.code()),
        )
    }
}

code_enum!(
    /// Severity (重要度, 表4).
    Severity, "severity" {
        Alert = "alert",
        Warning = "warning",
        Reference = "reference",
    }
);

code_enum!(
    /// Event classification (① 事象分類): exactly one, the first detected.
    EventClass, "event" {
        InformationLeak = "information_leak",
        InformationDestruction = "information_destruction",
        ServiceUnavailable = "service_unavailable",
        MalwareInfection = "malware_infection",
        UnauthorizedCode = "unauthorized_code",
        Intrusion = "intrusion",
        Other = "other",
        NearMiss = "near_miss",
    }
);

code_enum!(
    /// The four groups the 17 causes fall into (② 原因).
    CauseGroup, "cause_group" {
        Intentional = "intentional",
        Accidental = "accidental",
        Environmental = "environmental",
        Other = "other",
    }
);

code_enum!(
    /// Causes (② 原因, 表1): any number may apply.
    Cause, "cause" {
        SuspiciousEmail = "suspicious_email",
        IdSpoofing = "id_spoofing",
        Dos = "dos",
        InfoTheft = "info_theft",
        Insider = "insider",
        ImproperOperation = "improper_operation",
        UserOperationError = "user_operation_error",
        UserManagementError = "user_management_error",
        SuspiciousFile = "suspicious_file",
        SuspiciousSite = "suspicious_site",
        OutsourcerError = "outsourcer_error",
        EquipmentFailure = "equipment_failure",
        Vulnerability = "vulnerability",
        Spillover = "spillover",
        DisasterIllness = "disaster_illness",
        Other = "other",
        Unknown = "unknown",
    }
);

impl Cause {
    pub fn group(self) -> CauseGroup {
        use Cause::*;
        match self {
            SuspiciousEmail | IdSpoofing | Dos | InfoTheft | Insider | ImproperOperation => {
                CauseGroup::Intentional
            }
            UserOperationError | UserManagementError | SuspiciousFile | SuspiciousSite
            | OutsourcerError | EquipmentFailure | Vulnerability | Spillover => {
                CauseGroup::Accidental
            }
            DisasterIllness => CauseGroup::Environmental,
            Other | Unknown => CauseGroup::Other,
        }
    }

    /// The explanation of the cause from 表1, shown as help text on the form.
    pub fn help(self) -> &'static str {
        crate::messages::t(
            crate::messages::Locale::Ja,
            &format!("cause_help.{}", self.code()),
        )
    }
}

code_enum!(
    /// System status (⑥ システム等の状況).
    SystemStatus, "system_status" {
        NoImpact = "no_impact",
        Stopped = "stopped",
        Partial = "partial",
        Recovered = "recovered",
    }
);

code_enum!(
    /// Outlook (⑧ 今後の見通し). The first two promise a follow-up.
    Outlook, "outlook" {
        Ongoing = "ongoing",
        Investigating = "investigating",
        Closed = "closed",
        Considering = "considering",
    }
);

impl Outlook {
    /// Whether this outlook promises a follow-up report (続報あり).
    pub fn promises_follow_up(self) -> bool {
        matches!(self, Outlook::Ongoing | Outlook::Investigating)
    }
}

code_enum!(
    /// Press release state (報道発表).
    PressState, "press" {
        Done = "done",
        Planned = "planned",
        None = "none",
    }
);

code_enum!(
    /// Why a report is made (2.1 ①–③).
    ReportBasis, "report_basis" {
        Legal = "legal",
        Serious = "serious",
        Voluntary = "voluntary",
    }
);

code_enum!(
    /// Why an advisory is issued (3.1 ①–③).
    AdvisoryBasis, "advisory_basis" {
        Vulnerability = "vulnerability",
        Attack = "attack",
        Useful = "useful",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde() {
        for tlp in Tlp::ALL {
            let json = serde_json::to_string(tlp).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", tlp.code()));
            let back: Tlp = serde_json::from_str(&json).unwrap_or(Tlp::White);
            assert_eq!(back, *tlp);
        }
    }

    #[test]
    fn unknown_code_names_the_allowed_ones() {
        let err = serde_json::from_str::<Tlp>("\"purple\"")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("purple"), "{err}");
        assert!(err.contains("red, amber, green, white"), "{err}");
    }

    #[test]
    fn seventeen_causes_in_four_groups() {
        assert_eq!(Cause::ALL.len(), 17);
        let count = |g| Cause::ALL.iter().filter(|c| c.group() == g).count();
        assert_eq!(count(CauseGroup::Intentional), 6);
        assert_eq!(count(CauseGroup::Accidental), 8);
        assert_eq!(count(CauseGroup::Environmental), 1);
        assert_eq!(count(CauseGroup::Other), 2);
    }

    #[test]
    fn tlp_order_is_narrow_to_wide() {
        assert!(Tlp::Red.within(Tlp::Amber));
        assert!(Tlp::Amber.within(Tlp::Green));
        assert!(!Tlp::White.within(Tlp::Green));
        assert_eq!(Tlp::Amber.label(), "Amber 特定分野・関係者限り");
    }

    #[test]
    fn only_ongoing_and_investigating_promise_follow_up() {
        let promising: Vec<_> = Outlook::ALL
            .iter()
            .filter(|o| o.promises_follow_up())
            .collect();
        assert_eq!(promising, vec![&Outlook::Ongoing, &Outlook::Investigating]);
    }
}
