//! The snippet of a hit: a stretch of the original text around the first match, with every
//! match in it marked — found in the folded text and mapped back, so that 「ＶＰＮ」 is marked
//! when the query was 「vpn」.

use serde::Serialize;

use super::{Folded, Query};

/// A piece of a snippet; `hit` pieces are what the query matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// About `width` characters of `original` around the first match of `query`'s terms, every
/// match marked; the beginning of the text when nothing matches (a hit by number, or by a
/// negation alone). Line breaks become spaces; an ellipsis marks what was cut.
pub fn snippet(original: &str, query: &Query, width: usize) -> Vec<Segment> {
    let folded = Folded::of(original);
    let mut found: Vec<std::ops::Range<usize>> = Vec::new();
    for term in query.positive_terms() {
        for v in &term.variants {
            for (at, m) in folded.text.match_indices(v.as_str()) {
                found.push(folded.original(at..at + m.len()));
            }
        }
    }
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut hits: Vec<std::ops::Range<usize>> = Vec::new();
    for r in found {
        match hits.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => hits.push(r),
        }
    }
    let bounds: Vec<usize> = original
        .char_indices()
        .map(|(i, _)| i)
        .chain([original.len()])
        .collect();
    let char_at = |byte: usize| bounds.partition_point(|&b| b < byte);
    let first = hits.first().map_or(0, |h| char_at(h.start));
    let chars = bounds.len() - 1;
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(chars);
    let start = end.saturating_sub(width).min(start);
    let (lo, hi) = (bounds[start], bounds[end]);
    let mut out = Vec::new();
    let mut push = |text: &str, hit: bool| {
        let text = text.replace(['\n', '\r'], " ");
        if !text.is_empty() {
            out.push(Segment { text, hit });
        }
    };
    if start > 0 {
        push("…", false);
    }
    let mut at = lo;
    for h in hits.iter().filter(|h| h.end > lo && h.start < hi) {
        let (s, e) = (h.start.max(lo), h.end.min(hi));
        push(&original[at..s.max(at)], false);
        push(&original[s.max(at)..e], true);
        at = e;
    }
    push(&original[at..hi.max(at)], false);
    if end < chars {
        push("…", false);
    }
    out
}
