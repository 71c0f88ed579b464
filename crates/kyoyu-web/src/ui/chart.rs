//! Charts drawn on the server as SVG: no script, no CDN, readable printed in grey (one dark
//! fill with an outline, the value written beside every bar, labels as text). A hidden count
//! is drawn as no bar with the mark the table uses.

use std::fmt::Write;

/// One bar: its label and value (`None`: hidden as a small cell).
pub struct Bar {
    pub label: String,
    pub value: Option<u64>,
}

/// Text made safe inside SVG elements and attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const ROW: u32 = 24;
const AREA: u32 = 380;
const VALUE: u32 = 70;
/// The longest label drawn whole (longer ones end in an ellipsis; the bar's tooltip has it).
const LABEL_CHARS: usize = 16;

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A horizontal bar chart titled `title`, one row per bar; `hidden` is written where a value
/// is hidden.
pub fn bars(id: &str, title: &str, rows: &[Bar], hidden: &str) -> String {
    let max = rows
        .iter()
        .filter_map(|b| b.value)
        .max()
        .unwrap_or(0)
        .max(1);
    // Room for the longest label at 12 px a character (Japanese text is full width).
    let widest = rows
        .iter()
        .map(|b| short(&b.label).chars().count() as u32)
        .max()
        .unwrap_or(4);
    let label_w = 12 * widest.max(4) + 12;
    let height = ROW * rows.len().max(1) as u32 + 12;
    let width = label_w + AREA + VALUE;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" aria-labelledby="{id}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{label_w}" y1="4" x2="{label_w}" y2="{}" stroke="#000" stroke-width="1"/>"##,
        height - 4
    );
    for (i, b) in rows.iter().enumerate() {
        let y = 6 + ROW * i as u32;
        let mid = y + ROW / 2;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{mid}" text-anchor="end" dominant-baseline="middle" font-size="12" fill="#000">{}</text>"##,
            label_w - 6,
            escape(&short(&b.label))
        );
        match b.value {
            Some(v) => {
                let w = (u64::from(AREA) * v / max) as u32;
                let _ = write!(
                    svg,
                    r##"<rect x="{label_w}" y="{}" width="{w}" height="{}" fill="#2f4f6f" stroke="#000" stroke-width="0.5"><title>{}: {v}</title></rect><text x="{}" y="{mid}" dominant-baseline="middle" font-size="12" fill="#000">{v}</text>"##,
                    y + 3,
                    ROW - 6,
                    escape(&b.label),
                    label_w + w + 4
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{}" y="{mid}" dominant-baseline="middle" font-size="12" fill="#000">{}</text>"##,
                    label_w + 4,
                    escape(hidden)
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_and_labels_are_escaped() {
        let svg = bars(
            "c",
            "A & B",
            &[
                Bar {
                    label: "<x>".into(),
                    value: Some(10),
                },
                Bar {
                    label: "y".into(),
                    value: Some(5),
                },
                Bar {
                    label: "z".into(),
                    value: None,
                },
            ],
            "*",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A &amp; B") && svg.contains("&lt;x&gt;"));
        assert!(svg.contains(&format!(r#"width="{AREA}""#)));
        let long = bars(
            "d",
            "t",
            &[Bar {
                label: "政府・行政サービス（地方公共団体を含む）".into(),
                value: Some(1),
            }],
            "*",
        );
        assert!(long.contains("政府・行政サービス（地方公共団…<"), "{long}");
        assert!(long.contains("<title>政府・行政サービス（地方公共団体を含む）: 1</title>"));
        assert!(svg.contains(&format!(r#"width="{}""#, AREA / 2)));
        assert_eq!(svg.matches("<rect").count(), 2, "no bar for a hidden value");
    }
}
