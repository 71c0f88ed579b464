//! The risk matrix as a heat map drawn on the server (SVG, no script): damage 大/中/小 from top
//! to bottom, likelihood 低/中/高 from left to right, each cell shaded by what the criteria in
//! force decide there (対応 dark, 受容 light, no criteria grey) and marked with its letter, so
//! that it reads printed in grey too, and the number of risks in it written in the cell.

use std::fmt::Write;

use kyoyu_domain::risk::{Criteria, Damage, Likelihood, RiskDecision};

use crate::ui::chart::escape;
use crate::ui::widgets::t_ja;

const CELL: u32 = 96;
const LEFT: u32 = 64;
const TOP: u32 = 28;

/// Black or white text, whichever reads on `fill` (`#RRGGBB`).
fn text_colour(fill: &str) -> &'static str {
    let c = |i: usize| {
        fill.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, f64::from)
    };
    let luminance = 0.299 * c(1) + 0.587 * c(3) + 0.114 * c(5);
    if luminance < 140.0 {
        "#ffffff"
    } else {
        "#1b1b1b"
    }
}

/// A heat map titled `title` of the `(damage, likelihood)` levels given.
pub fn heat_map(
    id: &str,
    title: &str,
    levels: &[(Damage, Likelihood)],
    criteria: Option<&Criteria>,
) -> String {
    let width = LEFT + 3 * CELL + 8;
    let height = TOP + 3 * CELL + 48;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="heat-map" role="img" aria-label="{t}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13"><title>{t}</title>"#,
        t = escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="4" y="16" font-weight="bold">{}</text>"#,
        escape(t_ja("risk.axis_damage"))
    );
    let damage_label =
        |d: Damage| criteria.map_or_else(|| d.label().to_owned(), |c| c.damage_label(d));
    let likelihood_label =
        |l: Likelihood| criteria.map_or_else(|| l.label().to_owned(), |c| c.likelihood_label(l));
    let colours = criteria.and_then(|c| c.colours.as_ref());
    let treat_fill = colours.map_or("#8b1a1a", |c| c.treat.as_str());
    let accept_fill = colours.map_or("#e8f3e8", |c| c.accept.as_str());
    for (row, d) in Damage::ALL.iter().rev().enumerate() {
        let y = TOP + row as u32 * CELL;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT / 2,
            y + CELL / 2 + 5,
            escape(&damage_label(*d))
        );
        for (col, l) in Likelihood::ALL.iter().enumerate() {
            let x = LEFT + col as u32 * CELL;
            let decision = criteria.map(|c| c.matrix.at(*d, *l));
            let (fill, mark) = match decision {
                Some(RiskDecision::Treat) => (treat_fill, t_ja("risk_decision.treat")),
                Some(_) => (accept_fill, t_ja("risk_decision.accept")),
                None => ("#eeeeee", ""),
            };
            let ink = text_colour(fill);
            let n = levels.iter().filter(|(a, b)| a == d && b == l).count();
            let cell_title = format!(
                "{} {} × {} {}: {n}",
                t_ja("risk.axis_damage"),
                damage_label(*d),
                t_ja("risk.axis_likelihood"),
                likelihood_label(*l)
            );
            let _ = write!(
                svg,
                r##"<g class="cell" data-damage="{dc}" data-likelihood="{lc}" data-count="{n}"><title>{ct}</title><rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" stroke="#333"/><text x="{tx}" y="{ty}" text-anchor="middle" font-size="26" font-weight="bold" fill="{ink}">{n}</text><text x="{tx}" y="{my}" text-anchor="middle" fill="{ink}">{mark}</text></g>"##,
                dc = d.code(),
                lc = l.code(),
                ct = escape(&cell_title),
                tx = x + CELL / 2,
                ty = y + CELL / 2 + 6,
                my = y + CELL - 10,
                mark = escape(mark),
            );
        }
    }
    let base = TOP + 3 * CELL;
    for (col, l) in Likelihood::ALL.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + col as u32 * CELL + CELL / 2,
            base + 18,
            escape(&likelihood_label(*l))
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text></svg>"#,
        LEFT + 3 * CELL / 2,
        base + 40,
        escape(t_ja("risk.axis_likelihood"))
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cell_counts_its_risks_and_shows_the_criteria() {
        let svg = heat_map(
            "m",
            "t",
            &[
                (Damage::Large, Likelihood::Low),
                (Damage::Large, Likelihood::Low),
                (Damage::Small, Likelihood::High),
            ],
            Some(&Criteria::default()),
        );
        assert!(svg.contains(r#"data-damage="large" data-likelihood="low" data-count="2""#));
        assert!(svg.contains(r#"data-damage="small" data-likelihood="high" data-count="1""#));
        assert!(svg.contains(r#"data-damage="medium" data-likelihood="medium" data-count="0""#));
        assert_eq!(svg.matches("<rect").count(), 9);
        assert!(svg.contains("#8b1a1a"), "treated cells are dark");
    }

    #[test]
    fn the_organisations_words_and_colours_are_drawn() {
        let c = Criteria {
            labels: Some(kyoyu_domain::risk::ScaleLabels {
                damage: vec!["軽微".into(), "重大".into(), "致命的".into()],
                likelihood: vec!["まれ".into(), "時々".into(), "頻繁".into()],
            }),
            colours: Some(kyoyu_domain::risk::MatrixColours {
                treat: "#ffcc00".into(),
                accept: "#003366".into(),
            }),
            ..Criteria::default()
        };
        let svg = heat_map("m", "t", &[], Some(&c));
        assert!(svg.contains(">致命的<") && svg.contains(">頻繁<"), "{svg}");
        assert!(svg.contains(r##"fill="#ffcc00""##) && svg.contains(r##"fill="#003366""##));
        // Dark text on the light treat colour, white on the dark accept colour.
        assert!(svg.contains(r##"fill="#1b1b1b">対応"##), "{svg}");
        assert!(svg.contains(r##"fill="#ffffff">受容"##), "{svg}");
    }
}
