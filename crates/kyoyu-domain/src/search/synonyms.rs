//! Synonyms: groups of spellings that mean the same (改竄・改ざん, 漏洩・漏えい). A term that
//! contains one spelling of a group also matches with each other spelling in its place, so
//! 「Webページの改竄」 finds 「Webページの改ざん」. The groups live in the database; the
//! administrator extends them with `kyoyu admin synonyms`.

use super::Query;

/// At most this many variants of one term (a term naming several groups multiplies them).
pub const MAX_VARIANTS: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    /// Each group's spellings, folded, at least two.
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// The groups, each folded and without repeats; groups of fewer than two are dropped.
    pub fn new(groups: impl IntoIterator<Item = Vec<String>>) -> Synonyms {
        let groups = groups
            .into_iter()
            .map(|g| {
                let mut out: Vec<String> = Vec::new();
                for s in g {
                    let f = super::fold(s.trim());
                    if f.chars().count() >= super::query::MIN_CHARS && !out.contains(&f) {
                        out.push(f);
                    }
                }
                out
            })
            .filter(|g| g.len() >= 2)
            .collect();
        Synonyms { groups }
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// Every spelling `text` may take: itself, and for each group member it contains, the
    /// text with each other member in its place.
    pub fn variants(&self, text: &str) -> Vec<String> {
        let mut out = vec![text.to_owned()];
        for g in &self.groups {
            let mut added = Vec::new();
            for v in &out {
                for m in g.iter().filter(|m| v.contains(m.as_str())) {
                    for other in g.iter().filter(|o| *o != m) {
                        added.push(v.replace(m.as_str(), other));
                    }
                }
            }
            for a in added {
                if out.len() < MAX_VARIANTS && !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// `query` with every term's variants filled in.
    pub fn expand(&self, mut query: Query) -> Query {
        for term in query.terms_mut() {
            term.variants = self.variants(&term.text);
        }
        query
    }
}
