//! The service-maintenance-level deviation check (表3, ⑥): the reporter names the affected
//! service of the sector and the figures its threshold needs; kyoyu suggests ⑥ 有/無 with the
//! rule it applied. The reporter may answer otherwise, with a reason; whoever reads the report
//! sees the suggestion beside the answer.

use serde::{Deserialize, Serialize};

use super::{FieldError, Impact, ReportForm, err};
use crate::messages::{Locale, Msg, join_codes, t};
use crate::reference::{Figures, Metric, ReferenceData, Service, SmlAssessment, SmlRule};

/// The largest figure accepted (people, minutes, kW, households).
pub const MAX_FIGURE: u64 = 1_000_000_000;

/// The figures of ⑥ as far as they are known: whole numbers, as the thresholds of 表3 are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImpactFigures {
    /// 影響を受けた利用者数（人）.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000))]
    pub affected_users: Option<u64>,
    /// 継続時間（分）.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000))]
    pub duration_minutes: Option<u64>,
    /// 供給支障電力（kW）.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000))]
    pub supply_loss_kw: Option<u64>,
    /// 供給支障戸数（戸）.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000))]
    pub affected_households: Option<u64>,
    /// The equipment a rule of its own applies to (e.g. 中継局の無線設備); blank for the
    /// general rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<String>,
}

impl ImpactFigures {
    pub fn is_empty(&self) -> bool {
        *self == ImpactFigures::default()
    }

    pub fn get(&self, metric: Metric) -> Option<u64> {
        match metric {
            Metric::AffectedUsers => self.affected_users,
            Metric::DurationMinutes => self.duration_minutes,
            Metric::SupplyLossKw => self.supply_loss_kw,
            Metric::AffectedHouseholds => self.affected_households,
        }
    }

    fn as_reference(&self) -> Figures {
        let f = |v: Option<u64>| v.map(|v| v as f64);
        Figures {
            affected_users: f(self.affected_users),
            duration_minutes: f(self.duration_minutes),
            supply_loss_kw: f(self.supply_loss_kw),
            affected_households: f(self.affected_households),
            applies_to: self.equipment.clone().filter(|e| !e.trim().is_empty()),
        }
    }
}

/// kyoyu's suggestion for ⑥ and how the answer relates to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmlCheck {
    /// The service code (reference data).
    pub service: String,
    /// Its Japanese name.
    pub service_name: String,
    /// The maintenance level as 表3 words it.
    pub level: String,
    pub assessment: SmlAssessment,
    /// 有 (true) or 無 (false) when the figures decide; none otherwise.
    pub suggested: Option<bool>,
    /// The rule the suggestion rests on, in Japanese (the rule met, or the rules not met).
    pub rule: String,
    /// One sentence for the reader: the result and the rule.
    pub summary: String,
    /// Whether the reporter's answer agrees; none when either is missing.
    pub agrees: Option<bool>,
}

/// The Japanese wording of one rule: 「影響を受けた利用者数が30,000人以上かつ継続時間が120分以上」.
pub fn rule_text(rule: &SmlRule) -> String {
    let parts: Vec<String> = rule
        .conditions
        .iter()
        .map(|c| {
            Msg::new("sml.condition")
                .arg("metric", t(Locale::Ja, metric_key(c.metric)))
                .arg("min", thousands(c.min as u64))
                .arg("unit", t(Locale::Ja, unit_key(c.metric)))
                .ja()
        })
        .collect();
    let text = parts.join(t(Locale::Ja, "sml.and"));
    if rule.applies_to_ja.is_empty() {
        text
    } else {
        Msg::new("sml.qualified")
            .arg("equipment", &rule.applies_to_ja)
            .arg("rule", text)
            .ja()
    }
}

/// The catalogue key of a metric's label.
pub fn metric_key(m: Metric) -> &'static str {
    match m {
        Metric::AffectedUsers => "sml_metric.affected_users",
        Metric::DurationMinutes => "sml_metric.duration_minutes",
        Metric::SupplyLossKw => "sml_metric.supply_loss_kw",
        Metric::AffectedHouseholds => "sml_metric.affected_households",
    }
}

fn unit_key(m: Metric) -> &'static str {
    match m {
        Metric::AffectedUsers => "sml_unit.affected_users",
        Metric::DurationMinutes => "sml_unit.duration_minutes",
        Metric::SupplyLossKw => "sml_unit.supply_loss_kw",
        Metric::AffectedHouseholds => "sml_unit.affected_households",
    }
}

/// A whole number with thousands separators, as the seeds print figures (30,000).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn check_service(service: &Service, figures: &ImpactFigures, answer: Option<bool>) -> SmlCheck {
    let reference_figures = figures.as_reference();
    let assessment = service.assess(&reference_figures);
    let rules = service.applicable_rules(reference_figures.applies_to.as_deref());
    let (suggested, rule) = match &assessment {
        SmlAssessment::Deviates => (
            Some(true),
            rules
                .iter()
                .find(|r| r.is_met(&reference_figures))
                .map(|r| rule_text(r))
                .unwrap_or_default(),
        ),
        SmlAssessment::Within | SmlAssessment::Unknown { .. } => (
            matches!(assessment, SmlAssessment::Within).then_some(false),
            rules
                .iter()
                .map(|r| rule_text(r))
                .collect::<Vec<_>>()
                .join(t(Locale::Ja, "sml.or")),
        ),
        SmlAssessment::Qualitative => (None, service.sml_ja.clone()),
    };
    let summary = match &assessment {
        SmlAssessment::Deviates => Msg::new("sml.summary_deviates").arg("rule", &rule).ja(),
        SmlAssessment::Within => Msg::new("sml.summary_within").arg("rule", &rule).ja(),
        SmlAssessment::Qualitative => Msg::new("sml.summary_qualitative").ja(),
        SmlAssessment::Unknown { missing } => {
            let names: Vec<&str> = missing
                .iter()
                .map(|m| t(Locale::Ja, metric_key(*m)))
                .collect();
            Msg::new("sml.summary_unknown")
                .arg("missing", join_codes(&names))
                .arg("rule", &rule)
                .ja()
        }
    };
    SmlCheck {
        service: service.code.clone(),
        service_name: service.name_ja.clone(),
        level: service.sml_ja.clone(),
        assessment,
        suggested,
        rule,
        summary,
        agrees: suggested.zip(answer).map(|(s, a)| s == a),
    }
}

/// kyoyu's suggestion for ⑥ of an impact in a sector, when it names a service of the sector.
pub fn check_impact(reference: &ReferenceData, sector: &str, impact: &Impact) -> Option<SmlCheck> {
    let code = impact.service.as_deref()?;
    let sector = reference.sector(sector)?;
    let service = sector.services.iter().find(|s| s.code == code)?;
    Some(check_service(
        service,
        &impact.figures,
        impact.sml_deviation,
    ))
}

impl ReportForm {
    /// kyoyu's suggestion for ⑥, when the form names a service of its sector.
    pub fn sml_check(&self, reference: &ReferenceData) -> Option<SmlCheck> {
        check_impact(reference, &self.sector, self.impact.as_ref()?)
    }

    /// The service, its figures and the reason for answering against the suggestion.
    pub(super) fn validate_sml(&self, reference: &ReferenceData, errors: &mut Vec<FieldError>) {
        let Some(impact) = &self.impact else {
            return;
        };
        for m in Metric::ALL {
            if impact.figures.get(m).is_some_and(|v| v > MAX_FIGURE) {
                errors.push(err(
                    &format!("impact.figures.{}", m.code()),
                    Msg::new("invalid.figure_too_large").arg("max", thousands(MAX_FIGURE)),
                ));
            }
        }
        let Some(code) = impact.service.as_deref() else {
            if impact.figures.equipment.is_some() {
                errors.push(err(
                    "impact.figures.equipment",
                    Msg::new("invalid.equipment_without_service"),
                ));
            }
            return;
        };
        let Some(sector) = reference.sector(&self.sector) else {
            return;
        };
        let Some(service) = sector.services.iter().find(|s| s.code == code) else {
            errors.push(err(
                "impact.service",
                Msg::new("invalid.unknown_sector_service")
                    .arg("code", code)
                    .arg("sector", &sector.name_ja),
            ));
            return;
        };
        if let Some(e) = impact.figures.equipment.as_deref()
            && !e.trim().is_empty()
            && !service.qualifiers().contains(&e)
        {
            errors.push(err(
                "impact.figures.equipment",
                Msg::new("invalid.unknown_equipment")
                    .arg("equipment", e)
                    .arg("service", &service.name_ja),
            ));
            return;
        }
        let check = check_service(service, &impact.figures, impact.sml_deviation);
        let reason = impact.sml_reason.as_deref().unwrap_or("").trim();
        if check.agrees == Some(false) && reason.is_empty() {
            errors.push(err(
                "impact.sml_reason",
                Msg::new("invalid.sml_reason_required").arg("summary", &check.summary),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../../fixtures/report-fig5.json");

    fn reference() -> ReferenceData {
        ReferenceData::bundled().unwrap_or_else(|e| panic!("{e}"))
    }

    fn telecom(figures: ImpactFigures, answer: Option<bool>, reason: Option<&str>) -> ReportForm {
        let mut form: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        form.sector = "info_comm".into();
        form.impact = Some(Impact {
            sml_deviation: answer,
            service: Some("telecom_service".into()),
            figures,
            sml_reason: reason.map(str::to_owned),
            ..Impact::default()
        });
        form
    }

    fn figures(users: Option<u64>, minutes: Option<u64>) -> ImpactFigures {
        ImpactFigures {
            affected_users: users,
            duration_minutes: minutes,
            ..ImpactFigures::default()
        }
    }

    #[test]
    fn figures_above_the_threshold_suggest_a_deviation_with_the_rule() {
        let form = telecom(figures(Some(45_000), Some(180)), Some(true), None);
        let check = form.sml_check(&reference()).unwrap();
        assert_eq!(check.assessment, SmlAssessment::Deviates);
        assert_eq!(check.suggested, Some(true));
        assert_eq!(check.agrees, Some(true));
        assert!(check.rule.contains("30,000"), "{}", check.rule);
        assert!(check.rule.contains("120"), "{}", check.rule);
        assert!(check.summary.contains(&check.rule));
        assert_eq!(form.validate(&reference()), Ok(()));
    }

    #[test]
    fn an_answer_against_the_suggestion_needs_a_reason() {
        let form = telecom(figures(Some(45_000), Some(60)), Some(true), None);
        let check = form.sml_check(&reference()).unwrap();
        assert_eq!(check.suggested, Some(false));
        assert_eq!(check.agrees, Some(false));
        let errors = form.validate(&reference()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "impact.sml_reason");
        assert!(
            errors[0].message.contains("逸脱「無」"),
            "{}",
            errors[0].message
        );
        let with_reason = telecom(
            figures(Some(45_000), Some(60)),
            Some(true),
            Some("品質低下が広域に及ぶため"),
        );
        assert_eq!(with_reason.validate(&reference()), Ok(()));
    }

    #[test]
    fn missing_figures_are_named_and_decide_nothing() {
        let form = telecom(figures(Some(45_000), None), Some(false), None);
        let check = form.sml_check(&reference()).unwrap();
        assert_eq!(
            check.assessment,
            SmlAssessment::Unknown {
                missing: vec![Metric::DurationMinutes]
            }
        );
        assert_eq!(check.suggested, None);
        assert!(check.summary.contains("継続時間"), "{}", check.summary);
        assert_eq!(form.validate(&reference()), Ok(()));
    }

    #[test]
    fn a_qualified_rule_replaces_the_general_one_for_its_equipment() {
        let mut form: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        form.sector = "info_comm".into();
        let mut impact = Impact {
            service: Some("broadcast_service".into()),
            figures: ImpactFigures {
                duration_minutes: Some(30),
                ..ImpactFigures::default()
            },
            ..Impact::default()
        };
        form.impact = Some(impact.clone());
        assert_eq!(form.sml_check(&reference()).unwrap().suggested, Some(true));
        impact.figures.equipment = Some("中継局の無線設備".into());
        form.impact = Some(impact.clone());
        let check = form.sml_check(&reference()).unwrap();
        assert_eq!(check.suggested, Some(false));
        assert!(check.rule.contains("中継局の無線設備"), "{}", check.rule);
        impact.figures.equipment = Some("存在しない設備".into());
        form.impact = Some(impact);
        let errors = form.validate(&reference()).unwrap_err();
        assert_eq!(errors[0].field, "impact.figures.equipment");
    }

    #[test]
    fn a_service_of_another_sector_or_a_huge_figure_is_refused() {
        let mut form = telecom(figures(Some(MAX_FIGURE + 1), None), None, None);
        form.sector = "finance".into();
        let errors = form.validate(&reference()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["impact.figures.affected_users", "impact.service"]);
        assert!(errors[1].message.contains("金融"), "{}", errors[1].message);
        assert_eq!(form.sml_check(&reference()), None);
    }

    #[test]
    fn a_qualitative_level_suggests_nothing_and_quotes_the_level() {
        let mut form: ReportForm = serde_json::from_str(FIXTURE).unwrap();
        form.sector = "finance".into();
        form.impact = Some(Impact {
            service: Some("bank_deposits".into()),
            sml_deviation: Some(true),
            ..Impact::default()
        });
        let check = form.sml_check(&reference()).unwrap();
        assert_eq!(check.assessment, SmlAssessment::Qualitative);
        assert_eq!(check.suggested, None);
        assert_eq!(check.agrees, None);
        assert!(!check.rule.is_empty());
        assert_eq!(form.validate(&reference()), Ok(()));
    }
}
