//! Reference data: what changes by government decision rather than by release — sectors and
//! sub-sectors, their services and service-maintenance levels (サービス維持レベル), ministries
//! and their jurisdictions. The bundled file seeds a new database; afterwards an administrator
//! edits it, and every code in a form is validated against the copy in the database.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::routine::{Framework, OutOfBand, RoutineSource};

/// The reference data as shipped (seed 000, 表2/表3 and DOMAIN.md §2).
pub const BUNDLED: &str = include_str!("../data/reference.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    pub version: u32,
    pub ministries: Vec<Ministry>,
    pub sectors: Vec<Sector>,
    /// The routine sources of Ⅳ, as links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routine_sources: Vec<RoutineSource>,
    /// The other sharing frameworks of Ⅲ, with when to use which.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<Framework>,
    /// Security updates released outside the monthly day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub out_of_band: Vec<OutOfBand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ministry {
    pub code: String,
    pub name_ja: String,
    #[serde(default)]
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub code: String,
    pub name_ja: String,
    #[serde(default)]
    pub name_en: String,
    /// The code of the ministry with jurisdiction over the sector.
    pub ministry: String,
    #[serde(default)]
    pub important_systems_ja: String,
    #[serde(default)]
    pub laws_ja: String,
    #[serde(default)]
    pub subsectors: Vec<Subsector>,
    #[serde(default)]
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsector {
    pub code: String,
    pub name_ja: String,
    #[serde(default)]
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub code: String,
    #[serde(default)]
    pub subsector: Option<String>,
    pub name_ja: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub failures_ja: String,
    #[serde(default)]
    pub sml_ja: String,
    /// Machine-checkable thresholds where the seed gives numbers: the service deviates when any
    /// rule has all of its conditions met.
    #[serde(default)]
    pub sml_rules: Vec<SmlRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmlRule {
    /// A qualifier (e.g. relay-station radio equipment); empty for the general rule.
    #[serde(default)]
    pub applies_to_ja: String,
    pub conditions: Vec<Condition>,
}

impl SmlRule {
    /// Whether every condition is known and at or above its threshold.
    pub fn is_met(&self, figures: &Figures) -> bool {
        self.conditions
            .iter()
            .all(|c| figures.get(c.metric).is_some_and(|v| v >= c.min))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: Metric,
    pub min: f64,
}

/// A figure a threshold of 表3 is stated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SmlMetric))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    AffectedUsers,
    DurationMinutes,
    SupplyLossKw,
    AffectedHouseholds,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::AffectedUsers,
        Metric::DurationMinutes,
        Metric::SupplyLossKw,
        Metric::AffectedHouseholds,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Metric::AffectedUsers => "affected_users",
            Metric::DurationMinutes => "duration_minutes",
            Metric::SupplyLossKw => "supply_loss_kw",
            Metric::AffectedHouseholds => "affected_households",
        }
    }
}

/// The figures of an event, as far as they are known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub affected_users: Option<f64>,
    pub duration_minutes: Option<f64>,
    pub supply_loss_kw: Option<f64>,
    pub affected_households: Option<f64>,
    /// Which qualified rule applies (its `applies_to_ja`), if any.
    #[serde(default)]
    pub applies_to: Option<String>,
}

impl Figures {
    fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::AffectedUsers => self.affected_users,
            Metric::DurationMinutes => self.duration_minutes,
            Metric::SupplyLossKw => self.supply_loss_kw,
            Metric::AffectedHouseholds => self.affected_households,
        }
    }
}

/// Whether given figures deviate from a service's maintenance level.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SmlAssessment {
    Deviates,
    Within,
    /// The level is qualitative (any IT failure that delays or stops the service, 注2).
    Qualitative,
    /// A threshold could decide, but these figures are missing.
    Unknown {
        missing: Vec<Metric>,
    },
}

impl Service {
    /// The rules that judge an event of the given equipment: the qualified rules for it, or
    /// else the general ones (a qualified rule replaces the general rule for its equipment).
    pub fn applicable_rules(&self, applies_to: Option<&str>) -> Vec<&SmlRule> {
        let wanted = applies_to.unwrap_or("");
        let rules: Vec<&SmlRule> = self
            .sml_rules
            .iter()
            .filter(|r| r.applies_to_ja == wanted)
            .collect();
        if rules.is_empty() {
            self.sml_rules
                .iter()
                .filter(|r| r.applies_to_ja.is_empty())
                .collect()
        } else {
            rules
        }
    }

    /// The qualifiers (equipment) that have rules of their own.
    pub fn qualifiers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.sml_rules {
            if !r.applies_to_ja.is_empty() && !out.contains(&r.applies_to_ja.as_str()) {
                out.push(&r.applies_to_ja);
            }
        }
        out
    }

    pub fn assess(&self, figures: &Figures) -> SmlAssessment {
        if self.sml_rules.is_empty() {
            return SmlAssessment::Qualitative;
        }
        let mut missing = Vec::new();
        for rule in self.applicable_rules(figures.applies_to.as_deref()) {
            let values: Vec<(Metric, Option<f64>, f64)> = rule
                .conditions
                .iter()
                .map(|c| (c.metric, figures.get(c.metric), c.min))
                .collect();
            // A known figure below its threshold decides the rule, whatever else is missing.
            if values.iter().any(|(_, v, min)| v.is_some_and(|v| v < *min)) {
                continue;
            }
            let absent: Vec<Metric> = values
                .iter()
                .filter(|(_, v, _)| v.is_none())
                .map(|(m, _, _)| *m)
                .collect();
            if absent.is_empty() {
                return SmlAssessment::Deviates;
            }
            for m in absent {
                if !missing.contains(&m) {
                    missing.push(m);
                }
            }
        }
        if missing.is_empty() {
            SmlAssessment::Within
        } else {
            SmlAssessment::Unknown { missing }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("reference data is not valid TOML or JSON of the expected shape: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ReferenceData {
    pub fn bundled() -> Result<ReferenceData, ReferenceError> {
        Self::from_toml(BUNDLED)
    }

    pub fn from_toml(text: &str) -> Result<ReferenceData, ReferenceError> {
        let data: ReferenceData =
            toml::from_str(text).map_err(|e| ReferenceError::Syntax(e.to_string()))?;
        data.validate()?;
        Ok(data)
    }

    pub fn from_json(text: &str) -> Result<ReferenceData, ReferenceError> {
        let data: ReferenceData =
            serde_json::from_str(text).map_err(|e| ReferenceError::Syntax(e.to_string()))?;
        data.validate()?;
        Ok(data)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Codes are unique and well formed; every sector names a known ministry; every service
    /// names a sub-sector of its own sector.
    pub fn validate(&self) -> Result<(), ReferenceError> {
        let bad = |m: String| Err(ReferenceError::Invalid(m));
        let mut ministries = HashSet::new();
        for m in &self.ministries {
            if !m.code.chars().all(|c| c.is_ascii_lowercase() || c == '-') || m.code.is_empty() {
                return bad(format!("ministry code `{}` is not lowercase ASCII", m.code));
            }
            if !ministries.insert(m.code.as_str()) {
                return bad(format!("ministry `{}` appears twice", m.code));
            }
        }
        let mut sectors = HashSet::new();
        let mut services = HashSet::new();
        for s in &self.sectors {
            if !is_code(&s.code) {
                return bad(format!("sector code `{}` is not snake_case", s.code));
            }
            if !sectors.insert(s.code.as_str()) {
                return bad(format!("sector `{}` appears twice", s.code));
            }
            if !ministries.contains(s.ministry.as_str()) {
                return bad(format!(
                    "sector `{}` names unknown ministry `{}`",
                    s.code, s.ministry
                ));
            }
            let subs: HashSet<&str> = s.subsectors.iter().map(|x| x.code.as_str()).collect();
            for svc in &s.services {
                if !is_code(&svc.code) || !services.insert(svc.code.as_str()) {
                    return bad(format!(
                        "service code `{}` is malformed or repeated",
                        svc.code
                    ));
                }
                if let Some(sub) = &svc.subsector
                    && !subs.contains(sub.as_str())
                {
                    return bad(format!(
                        "service `{}` names unknown sub-sector `{sub}` of `{}`",
                        svc.code, s.code
                    ));
                }
                for rule in &svc.sml_rules {
                    if rule.conditions.is_empty() {
                        return bad(format!(
                            "service `{}` has a rule without conditions",
                            svc.code
                        ));
                    }
                }
            }
        }
        self.validate_routine()
    }

    /// Links are web addresses (a page must not carry a `javascript:` link); framework codes
    /// are unique; every entry has a name.
    fn validate_routine(&self) -> Result<(), ReferenceError> {
        let bad = |m: String| Err(ReferenceError::Invalid(m));
        let is_web = |u: &str| {
            (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() > "https://".len()
                && !u
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '"')
        };
        for s in &self.routine_sources {
            if s.name_ja.trim().is_empty() || !is_web(&s.url) {
                return bad(format!(
                    "routine source `{}` needs a name and an http(s) address",
                    s.url
                ));
            }
        }
        let mut codes = HashSet::new();
        for f in &self.frameworks {
            if !is_code(&f.code) || !codes.insert(f.code.as_str()) {
                return bad(format!(
                    "framework code `{}` is malformed or repeated",
                    f.code
                ));
            }
            if f.name_ja.trim().is_empty() || (!f.url.is_empty() && !is_web(&f.url)) {
                return bad(format!(
                    "framework `{}` needs a name, and its address must be http(s)",
                    f.code
                ));
            }
        }
        for o in &self.out_of_band {
            if o.vendor_ja.trim().is_empty() || (!o.url.is_empty() && !is_web(&o.url)) {
                return bad(format!(
                    "out-of-band release of {} needs a vendor, and its address must be http(s)",
                    o.date
                ));
            }
        }
        Ok(())
    }

    pub fn sector(&self, code: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.code == code)
    }

    pub fn is_sector(&self, code: &str) -> bool {
        self.sector(code).is_some()
    }

    pub fn ministry(&self, code: &str) -> Option<&Ministry> {
        self.ministries.iter().find(|m| m.code == code)
    }

    /// The sectors under a ministry's jurisdiction.
    pub fn jurisdiction(&self, ministry: &str) -> BTreeSet<String> {
        self.sectors
            .iter()
            .filter(|s| s.ministry == ministry)
            .map(|s| s.code.clone())
            .collect()
    }

    pub fn service(&self, code: &str) -> Option<(&Sector, &Service)> {
        self.sectors
            .iter()
            .find_map(|s| s.services.iter().find(|v| v.code == code).map(|v| (s, v)))
    }

    /// The Japanese name of a sector, or the code if unknown.
    pub fn sector_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.sector(code)
            .map(|s| s.name_ja.as_str())
            .unwrap_or(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ReferenceData {
        match ReferenceData::bundled() {
            Ok(d) => d,
            Err(e) => panic!("bundled reference data: {e}"),
        }
    }

    #[test]
    fn the_seed_has_fourteen_sectors_under_five_ministries() {
        let d = data();
        assert_eq!(d.sectors.len(), 14);
        let codes: Vec<&str> = d.sectors.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "info_comm",
                "finance",
                "aviation",
                "airport",
                "railway",
                "electricity",
                "gas",
                "government",
                "medical",
                "water",
                "logistics",
                "chemical",
                "credit",
                "petroleum"
            ]
        );
        assert_eq!(d.jurisdiction("fsa"), ["finance".to_owned()].into());
        assert_eq!(
            d.jurisdiction("mhlw"),
            ["medical".to_owned(), "water".to_owned()].into()
        );
        assert_eq!(d.sector_name("finance"), "金融");
    }

    fn service<'a>(d: &'a ReferenceData, name_ja: &str) -> &'a Service {
        d.sectors
            .iter()
            .flat_map(|s| &s.services)
            .find(|s| s.name_ja.contains(name_ja))
            .unwrap_or_else(|| panic!("no service named {name_ja}"))
    }

    #[test]
    fn electricity_deviates_at_100000_kw_for_10_minutes() {
        let d = data();
        let svc = d.sector("electricity").and_then(|s| s.services.first());
        let Some(svc) = svc else {
            panic!("electricity has no service")
        };
        let figs = |kw, min| Figures {
            supply_loss_kw: Some(kw),
            duration_minutes: Some(min),
            ..Default::default()
        };
        assert_eq!(svc.assess(&figs(100_000.0, 10.0)), SmlAssessment::Deviates);
        assert_eq!(svc.assess(&figs(99_999.0, 60.0)), SmlAssessment::Within);
        assert_eq!(svc.assess(&figs(200_000.0, 9.0)), SmlAssessment::Within);
        assert_eq!(
            svc.assess(&Figures {
                supply_loss_kw: Some(150_000.0),
                ..Default::default()
            }),
            SmlAssessment::Unknown {
                missing: vec![Metric::DurationMinutes]
            }
        );
    }

    #[test]
    fn telecom_deviates_at_30000_users_for_two_hours() {
        let d = data();
        let svc = service(&d, "電気通信役務");
        let figs = |u, min| Figures {
            affected_users: Some(u),
            duration_minutes: Some(min),
            ..Default::default()
        };
        assert_eq!(svc.assess(&figs(30_000.0, 120.0)), SmlAssessment::Deviates);
        assert_eq!(svc.assess(&figs(29_999.0, 600.0)), SmlAssessment::Within);
        assert_eq!(svc.assess(&figs(50_000.0, 119.0)), SmlAssessment::Within);
    }

    #[test]
    fn gas_deviates_at_30_households() {
        let d = data();
        let svc = d.sector("gas").and_then(|s| s.services.first());
        let Some(svc) = svc else {
            panic!("gas has no service")
        };
        let figs = |h| Figures {
            affected_households: Some(h),
            ..Default::default()
        };
        assert_eq!(svc.assess(&figs(30.0)), SmlAssessment::Deviates);
        assert_eq!(svc.assess(&figs(29.0)), SmlAssessment::Within);
    }

    #[test]
    fn qualitative_levels_say_so() {
        let d = data();
        let svc = d.sector("medical").and_then(|s| s.services.first());
        let Some(svc) = svc else {
            panic!("medical has no service")
        };
        assert_eq!(svc.assess(&Figures::default()), SmlAssessment::Qualitative);
    }

    #[test]
    fn bad_reference_data_is_refused_with_a_reason() {
        let mut d = data();
        d.sectors[0].ministry = "nowhere".into();
        let err = d
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("nowhere"), "{err}");
        let err = ReferenceData::from_toml("version = 1\nbogus = 2\nministries = []\nsectors = []")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn toml_round_trip() {
        let d = data();
        let again = ReferenceData::from_toml(&d.to_toml());
        assert_eq!(again.as_ref().ok(), Some(&d));
    }
}
