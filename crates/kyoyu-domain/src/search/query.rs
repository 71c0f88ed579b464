//! The query language of free-text search, as a person types it into the search box:
//!
//! - words separated by spaces must all occur (`ランサムウェア VPN`);
//! - `"…"` is one phrase, spaces included (`"不正 アクセス"`);
//! - `OR` (or `|`) between two words lets either occur, and binds tighter than the spaces
//!   (`VPN OR ファイアウォール 侵入` is (VPN or ファイアウォール) and 侵入);
//! - `-word` or `NOT word` excludes;
//! - a word that is an item number (`R12`, `R12-2`, `T3`) also finds the item so numbered.
//!
//! Every word is folded ([`super::fold`]) and is matched as a substring, so it must have at
//! least two characters.

use crate::messages::Msg;

/// The fewest characters of a word: one character would match nearly everything.
pub const MIN_CHARS: usize = 2;
pub const MAX_CHARS: usize = 100;
pub const MAX_TERMS: usize = 16;

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// Holds when any of its literals does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clause {
    pub any: Vec<Literal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    pub negated: bool,
    pub term: Term,
}

/// One word or phrase, folded, with the variants its synonyms add.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    /// As typed, folded.
    pub text: String,
    /// `text` and every synonym variant of it; the term occurs when any of them does.
    pub variants: Vec<String>,
    /// The item number the word is (`R12-2`), if it is one.
    pub number: Option<String>,
}

impl Term {
    fn new(text: String) -> Term {
        let number = item_number(&text);
        Term {
            variants: vec![text.clone()],
            text,
            number,
        }
    }

    /// Whether the term occurs in `folded` text, or is `number`.
    pub fn occurs(&self, folded: &str, number: Option<&str>) -> bool {
        self.variants.iter().any(|v| folded.contains(v.as_str()))
            || match (&self.number, number) {
                (Some(n), Some(m)) => numbered(n, m),
                _ => false,
            }
    }
}

/// Whether an item numbered `item` (`R12-2`) is what a search for `searched` (`R12`, `R12-2`)
/// means: the very number, or an edition of the thread.
pub fn numbered(searched: &str, item: &str) -> bool {
    item == searched
        || item
            .strip_prefix(searched)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// `r12`, `r12-2`, `t3` in upper case, if `word` is such a number.
fn item_number(word: &str) -> Option<String> {
    let rest = word.strip_prefix(['r', 't'])?;
    let (main, edition) = match rest.split_once('-') {
        Some((m, e)) => (m, Some(e)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    (digits(main) && edition.is_none_or(digits)).then(|| word.to_uppercase())
}

enum Token {
    Word { text: String, negated: bool },
    Or,
}

fn tokens(input: &str) -> Vec<Token> {
    use unicode_normalization::UnicodeNormalization;
    let s: String = input.nfkc().collect();
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    let mut negate_next = false;
    let is_quote = |c: char| matches!(c, '"' | '\u{201c}' | '\u{201d}');
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = std::mem::take(&mut negate_next);
        if c == '-' {
            chars.next();
            match chars.peek() {
                Some(&n) if !n.is_whitespace() => negated = true,
                _ => {
                    out.push(Token::Word {
                        text: "-".into(),
                        negated,
                    });
                    continue;
                }
            }
        }
        if chars.peek().is_some_and(|&c| is_quote(c)) {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| !is_quote(c)).collect();
            out.push(Token::Word {
                text: phrase,
                negated,
            });
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || is_quote(c) {
                break;
            }
            word.push(c);
            chars.next();
        }
        match word.as_str() {
            "OR" | "|" if !negated => out.push(Token::Or),
            "AND" if !negated => {}
            "NOT" if !negated => negate_next = true,
            _ => out.push(Token::Word {
                text: word,
                negated,
            }),
        }
    }
    out
}

impl Query {
    /// The query `input` means; `Ok(None)` when it holds no word. A word too short or too
    /// long, or too many words, is an error a person can act on.
    pub fn parse(input: &str) -> Result<Option<Query>, Msg> {
        let mut clauses: Vec<Clause> = Vec::new();
        let mut join = false;
        let mut count = 0;
        for token in tokens(input) {
            let (text, negated) = match token {
                Token::Or => {
                    join = !clauses.is_empty();
                    continue;
                }
                Token::Word { text, negated } => (super::fold(&text), negated),
            };
            if text.trim().is_empty() {
                continue;
            }
            let chars = text.chars().count();
            if chars < MIN_CHARS {
                return Err(Msg::new("search.term_too_short")
                    .arg("term", &text)
                    .arg("min", MIN_CHARS));
            }
            if chars > MAX_CHARS {
                return Err(Msg::new("search.term_too_long").arg("max", MAX_CHARS));
            }
            count += 1;
            if count > MAX_TERMS {
                return Err(Msg::new("search.too_many_terms").arg("max", MAX_TERMS));
            }
            let literal = Literal {
                negated,
                term: Term::new(text),
            };
            match clauses.last_mut() {
                Some(last) if join => last.any.push(literal),
                _ => clauses.push(Clause { any: vec![literal] }),
            }
            join = false;
        }
        Ok((!clauses.is_empty()).then_some(Query { clauses }))
    }

    /// Whether an item whose searchable text folds to `folded` (and numbered `number`)
    /// matches — the meaning the store's SQL must have.
    pub fn matches(&self, folded: &str, number: Option<&str>) -> bool {
        self.clauses.iter().all(|c| {
            c.any
                .iter()
                .any(|l| l.negated != l.term.occurs(folded, number))
        })
    }

    /// The terms a hit contains (the ones not negated): what a snippet highlights and ranking
    /// counts.
    pub fn positive_terms(&self) -> impl Iterator<Item = &Term> {
        self.clauses
            .iter()
            .flat_map(|c| c.any.iter())
            .filter(|l| !l.negated)
            .map(|l| &l.term)
    }

    pub fn terms_mut(&mut self) -> impl Iterator<Item = &mut Term> {
        self.clauses
            .iter_mut()
            .flat_map(|c| c.any.iter_mut())
            .map(|l| &mut l.term)
    }
}
