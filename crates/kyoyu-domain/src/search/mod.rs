//! Free-text search, the pure part: how text is folded before it is indexed or matched, the
//! query language, synonyms, and the highlighted snippet of a hit. The store indexes the
//! folded text of each view (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) and evaluates a
//! [`Query`] in SQL; [`Query::matches`] is the same meaning in Rust, which the tests hold the
//! SQL to.
//!
//! Matching is by substring of folded text, so Japanese needs no word splitting: 「改ざん」
//! finds 「Webページの改ざん」, and two-character queries (「侵入」「VPN」) work.

pub mod body;
pub mod query;
pub mod snippet;
pub mod synonyms;

pub use query::{Clause, Literal, Query, Term};
pub use snippet::{Segment, snippet};
pub use synonyms::Synonyms;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Text as it is indexed and matched: NFKC (full-width ASCII and half-width kana fold to their
/// usual forms: 「ＶＰＮ」→「VPN」, 「ｶｲｻﾞﾝ」→「カイザン」) and lower case.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for g in groups(text) {
        fold_into(&text[g], &mut out);
    }
    out
}

fn fold_into(group: &str, out: &mut String) {
    for c in group.nfkc() {
        out.extend(c.to_lowercase());
    }
}

/// Whether `c` belongs to the character before it (a combining mark, or a half-width or
/// combining (semi-)voiced sound mark), so that folding never splits the two.
fn joins_previous(c: char) -> bool {
    is_combining_mark(c) || matches!(c, '\u{ff9e}' | '\u{ff9f}' | '\u{3099}' | '\u{309a}')
}

/// The byte ranges of `text` that fold independently: a character with the marks that
/// follow it. Folding each and concatenating is [`fold`], which lets a snippet map a match in
/// folded text back to the original.
fn groups(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, first) = chars.next()?;
        let mut end = start + first.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if !joins_previous(c) {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some(start..end)
    })
}

/// Folded text with, for every folded byte, where its group starts and ends in the original.
pub(crate) struct Folded {
    pub text: String,
    /// `(folded start, original range)` of each group, in order.
    spans: Vec<(usize, std::ops::Range<usize>)>,
}

impl Folded {
    pub(crate) fn of(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut spans = Vec::new();
        for g in groups(original) {
            spans.push((text.len(), g.clone()));
            fold_into(&original[g], &mut text);
        }
        Folded { text, spans }
    }

    /// The original byte range that folded bytes `range` came from.
    pub(crate) fn original(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let at = |pos: usize| match self.spans.binary_search_by(|(s, _)| s.cmp(&pos)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let first = &self.spans[at(range.start)].1;
        let last = &self.spans[at(range.end.saturating_sub(1).max(range.start))].1;
        first.start..last.end
    }
}

#[cfg(test)]
mod tests;
