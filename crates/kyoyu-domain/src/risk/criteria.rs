//! リスク判定基準 (図表7, 1.2): the evaluation, impact and acceptance criteria an operator
//! writes, the matrix of damage × likelihood that says which cells must be treated, and the two
//! rules of 4.1.1 that decide by one axis alone. A version of the criteria never changes; a new
//! one replaces it, and every risk judged under an older one is due for re-evaluation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Damage, DecisionRule, Likelihood, RiskDecision};
use crate::messages::Msg;

/// The most times a year a frequency may say (a risk occurring every few minutes).
pub const MAX_FREQUENCY: u32 = 100_000;

/// The most factors one list of the criteria holds, and the longest a factor may be.
pub const MAX_FACTORS: usize = 50;
pub const MAX_FACTOR_CHARS: usize = 500;

/// One damage level's row of the matrix: what each likelihood means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    pub low: RiskDecision,
    pub medium: RiskDecision,
    pub high: RiskDecision,
}

impl MatrixRow {
    pub fn at(&self, l: Likelihood) -> RiskDecision {
        match l {
            Likelihood::Low => self.low,
            Likelihood::Medium => self.medium,
            Likelihood::High => self.high,
        }
    }
}

/// The acceptance matrix (3.1.1): damage 小/中/大 × likelihood 低/中/高, each cell `treat` or
/// `accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub small: MatrixRow,
    pub medium: MatrixRow,
    pub large: MatrixRow,
}

impl Matrix {
    pub fn at(&self, d: Damage, l: Likelihood) -> RiskDecision {
        match d {
            Damage::Small => self.small.at(l),
            Damage::Medium => self.medium.at(l),
            Damage::Large => self.large.at(l),
        }
    }
}

impl Default for Matrix {
    /// The seed's example made concrete: the three cells of least damage and likelihood are
    /// accepted, every other is treated.
    fn default() -> Matrix {
        use RiskDecision::{Accept, Treat};
        Matrix {
            small: MatrixRow {
                low: Accept,
                medium: Accept,
                high: Treat,
            },
            medium: MatrixRow {
                low: Accept,
                medium: Treat,
                high: Treat,
            },
            large: MatrixRow {
                low: Treat,
                medium: Treat,
                high: Treat,
            },
        }
    }
}

/// The words an organisation uses for the three levels of each axis (3.1.1: 「小」「中」「大」
/// 等), smallest first; the codes stay `small|medium|large` and `low|medium|high`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScaleLabels {
    #[cfg_attr(feature = "openapi", schema(min_items = 3, max_items = 3))]
    pub damage: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 3, max_items = 3))]
    pub likelihood: Vec<String>,
}

/// The colours of the heat maps' cells, `#RRGGBB`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MatrixColours {
    #[cfg_attr(feature = "openapi", schema(pattern = "^#[0-9A-Fa-f]{6}$"))]
    pub treat: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^#[0-9A-Fa-f]{6}$"))]
    pub accept: String,
}

/// The longest a level's label may be.
pub const MAX_LABEL_CHARS: usize = 20;

fn is_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// One version's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// リスク評価基準 (1.2.1): the points of view a risk is evaluated from (strategic value,
    /// importance of the assets, laws and regulations, contracts, CIA, stakeholders…).
    #[serde(default)]
    pub evaluation: Vec<String>,
    /// 影響基準 (1.2.2): how the extent of damage, costs included, is set.
    #[serde(default)]
    pub impact: Vec<String>,
    /// リスク受容基準 (1.2.3): how far a risk can be accepted.
    #[serde(default)]
    pub acceptance: Vec<String>,
    #[serde(default)]
    pub matrix: Matrix,
    /// Treat whatever the likelihood once the damage reaches this (4.1.1: a disaster that
    /// threatens the business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_damage_from: Option<Damage>,
    /// Treat whatever the damage once the likelihood reaches this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_likelihood_from: Option<Likelihood>,
    /// Treat once a risk occurs this many times a year or more, however small each time
    /// (4.1.1: frequent small damages accumulate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100_000))]
    pub treat_frequency_from: Option<u32>,
    /// When these criteria are due for their own review (6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
    /// The organisation's own words for the levels (the seed's 小/中/大 and 低/中/高 otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<ScaleLabels>,
    /// The heat maps' colours (dark red and pale green otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colours: Option<MatrixColours>,
}

/// What the evaluation decided and by which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub decision: RiskDecision,
    pub rule: DecisionRule,
}

impl Criteria {
    /// The word for a damage level: the organisation's own, or the seed's.
    pub fn damage_label(&self, d: Damage) -> String {
        self.labels
            .as_ref()
            .and_then(|l| l.damage.get(d.rank()))
            .map_or_else(|| d.label().to_owned(), |s| s.trim().to_owned())
    }

    /// The word for a likelihood level: the organisation's own, or the seed's.
    pub fn likelihood_label(&self, l: Likelihood) -> String {
        self.labels
            .as_ref()
            .and_then(|x| x.likelihood.get(l.rank()))
            .map_or_else(|| l.label().to_owned(), |s| s.trim().to_owned())
    }

    /// The first problem with these criteria, as the field and what to tell the person.
    pub fn check(&self) -> Result<(), (String, Msg)> {
        for (name, list) in [
            ("evaluation", &self.evaluation),
            ("impact", &self.impact),
            ("acceptance", &self.acceptance),
        ] {
            if list.len() > MAX_FACTORS {
                return Err((
                    name.to_owned(),
                    Msg::new("invalid.too_many").arg("max", MAX_FACTORS),
                ));
            }
            for (i, f) in list.iter().enumerate() {
                let n = f.trim().chars().count();
                if n == 0 || n > MAX_FACTOR_CHARS {
                    return Err((
                        format!("{name}[{i}]"),
                        Msg::new("invalid.length").arg("max", MAX_FACTOR_CHARS),
                    ));
                }
            }
        }
        for d in Damage::ALL {
            for l in Likelihood::ALL {
                if self.matrix.at(*d, *l) == RiskDecision::Undecided {
                    return Err((
                        format!("matrix.{}.{}", d.code(), l.code()),
                        Msg::new("invalid.risk_cell"),
                    ));
                }
            }
        }
        if let Some(l) = &self.labels {
            for (axis, words) in [("damage", &l.damage), ("likelihood", &l.likelihood)] {
                if words.len() != 3 {
                    return Err((format!("labels.{axis}"), Msg::new("invalid.three_labels")));
                }
                for (i, w) in words.iter().enumerate() {
                    let n = w.trim().chars().count();
                    if n == 0 || n > MAX_LABEL_CHARS {
                        return Err((
                            format!("labels.{axis}[{i}]"),
                            Msg::new("invalid.length").arg("max", MAX_LABEL_CHARS),
                        ));
                    }
                }
            }
        }
        if let Some(c) = &self.colours {
            for (name, v) in [("treat", &c.treat), ("accept", &c.accept)] {
                if !is_colour(v) {
                    return Err((format!("colours.{name}"), Msg::new("invalid.colour")));
                }
            }
        }
        if let Some(f) = self.treat_frequency_from
            && !(1..=MAX_FREQUENCY).contains(&f)
        {
            return Err((
                "treat_frequency_from".to_owned(),
                Msg::new("invalid.between")
                    .arg("min", 1)
                    .arg("max", MAX_FREQUENCY),
            ));
        }
        Ok(())
    }

    /// 4.1.1: a risk is treated when its damage alone, its likelihood alone or its frequency
    /// alone reaches the criteria's line, whatever the other axis; otherwise its cell decides.
    /// The rule answered is the one that decided: an axis rule only where the cell would have
    /// accepted.
    pub fn evaluate(
        &self,
        damage: Damage,
        likelihood: Likelihood,
        frequency: Option<u32>,
    ) -> Evaluation {
        let cell = self.matrix.at(damage, likelihood);
        if cell == RiskDecision::Treat {
            return Evaluation {
                decision: RiskDecision::Treat,
                rule: DecisionRule::Cell,
            };
        }
        let treat = |rule| Evaluation {
            decision: RiskDecision::Treat,
            rule,
        };
        if self.treat_damage_from.is_some_and(|t| damage >= t) {
            return treat(DecisionRule::Magnitude);
        }
        if self.treat_likelihood_from.is_some_and(|t| likelihood >= t) {
            return treat(DecisionRule::Likelihood);
        }
        if let (Some(t), Some(f)) = (self.treat_frequency_from, frequency)
            && f >= t
        {
            return treat(DecisionRule::Frequency);
        }
        Evaluation {
            decision: cell,
            rule: DecisionRule::Cell,
        }
    }
}

/// Without criteria (図表4's simplified start) nothing is decided until management or experts
/// judge (4.1.1); that judgement is recorded as such.
pub fn without_criteria() -> Evaluation {
    Evaluation {
        decision: RiskDecision::Undecided,
        rule: DecisionRule::NoCriteria,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cell_decides_unless_an_axis_alone_says_treat() {
        let c = Criteria::default();
        let e = c.evaluate(Damage::Small, Likelihood::Low, None);
        assert_eq!(
            (e.decision, e.rule),
            (RiskDecision::Accept, DecisionRule::Cell)
        );
        let e = c.evaluate(Damage::Large, Likelihood::Low, None);
        assert_eq!(
            (e.decision, e.rule),
            (RiskDecision::Treat, DecisionRule::Cell)
        );

        let mut c = Criteria::default();
        c.matrix.large.low = RiskDecision::Accept;
        c.matrix.small.high = RiskDecision::Accept;
        let e = c.evaluate(Damage::Large, Likelihood::Low, None);
        assert_eq!(e.decision, RiskDecision::Accept, "no axis rule yet");
        c.treat_damage_from = Some(Damage::Large);
        let e = c.evaluate(Damage::Large, Likelihood::Low, None);
        assert_eq!(
            (e.decision, e.rule),
            (RiskDecision::Treat, DecisionRule::Magnitude)
        );
        c.treat_likelihood_from = Some(Likelihood::High);
        let e = c.evaluate(Damage::Small, Likelihood::High, None);
        assert_eq!(
            (e.decision, e.rule),
            (RiskDecision::Treat, DecisionRule::Likelihood)
        );
        c.treat_frequency_from = Some(12);
        let e = c.evaluate(Damage::Small, Likelihood::Medium, Some(11));
        assert_eq!(e.decision, RiskDecision::Accept);
        let e = c.evaluate(Damage::Small, Likelihood::Medium, Some(12));
        assert_eq!(
            (e.decision, e.rule),
            (RiskDecision::Treat, DecisionRule::Frequency)
        );
    }

    #[test]
    fn a_cell_must_be_treat_or_accept() {
        let mut c = Criteria::default();
        assert!(c.check().is_ok());
        c.matrix.medium.high = RiskDecision::Undecided;
        assert_eq!(c.check().unwrap_err().0, "matrix.medium.high");
        let c = Criteria {
            acceptance: vec!["  ".into()],
            ..Criteria::default()
        };
        assert_eq!(c.check().unwrap_err().0, "acceptance[0]");
        let mut c = Criteria {
            labels: Some(ScaleLabels {
                damage: vec!["軽微".into(), "重大".into(), "致命的".into()],
                likelihood: vec!["まれ".into(), "時々".into()],
            }),
            ..Criteria::default()
        };
        assert_eq!(c.check().unwrap_err().0, "labels.likelihood");
        c.labels.as_mut().unwrap().likelihood.push("頻繁".into());
        assert!(c.check().is_ok());
        assert_eq!(c.damage_label(Damage::Large), "致命的");
        c.colours = Some(MatrixColours {
            treat: "#8b1a1a".into(),
            accept: "green".into(),
        });
        assert_eq!(c.check().unwrap_err().0, "colours.accept");
    }
}
