//! Repository rules kept as tests (see ARCHITECTURE.md): the dependency direction
//! domain ← store ← core ← web ← cli, a domain without I/O, SQL and sharing-scope filtering in
//! one place each, shared items readable only through the scoped reader and writable only with
//! a permit, the time only from the clock, and every Japanese word in the message catalogue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The normal (not dev) dependencies of a crate, by name.
fn dependencies(krate: &str) -> Vec<String> {
    let text = read(&crates_dir().join(krate).join("Cargo.toml"));
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

const PRODUCTION: [&str; 6] = [
    "kyoyu-domain",
    "kyoyu-forms",
    "kyoyu-store",
    "kyoyu-core",
    "kyoyu-web",
    "kyoyu-cli",
];

#[test]
fn crates_depend_only_in_the_allowed_direction() {
    let allowed: &[(&str, &[&str])] = &[
        ("kyoyu-domain", &[]),
        ("kyoyu-store", &["kyoyu-domain"]),
        // The forms as documents: pure, over the domain's types.
        ("kyoyu-forms", &["kyoyu-domain"]),
        (
            "kyoyu-core",
            &["kyoyu-domain", "kyoyu-store", "kyoyu-forms"],
        ),
        ("kyoyu-web", &["kyoyu-domain", "kyoyu-core", "kyoyu-forms"]),
        (
            "kyoyu-cli",
            &[
                "kyoyu-domain",
                "kyoyu-store",
                "kyoyu-core",
                "kyoyu-web",
                "kyoyu-forms",
            ],
        ),
        // Test support may use everything; nothing but tests may use it.
        (
            "kyoyu-test-support",
            &["kyoyu-domain", "kyoyu-store", "kyoyu-core", "kyoyu-web"],
        ),
    ];
    let mut seen = 0;
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some((_, ok)) = allowed.iter().find(|(k, _)| *k == name) else {
            panic!(
                "crate {name} is not in the architecture table: add it to ARCHITECTURE.md and this test"
            );
        };
        for dep in dependencies(&name)
            .iter()
            .filter(|d| d.starts_with("kyoyu-"))
        {
            assert!(
                ok.contains(&dep.as_str()),
                "{name} must not depend on {dep} (see ARCHITECTURE.md)"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, allowed.len());
}

#[test]
fn the_domain_does_no_io() {
    let deps = dependencies("kyoyu-domain");
    for forbidden in ["tokio", "sqlx", "axum", "reqwest", "hyper", "tower"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "kyoyu-domain depends on {forbidden}"
        );
    }
    for file in rust_files(&crates_dir().join("kyoyu-domain/src")) {
        let text = read(&file);
        for forbidden in ["std::fs", "std::net", "async fn", "std::process"] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_store_speaks_sql_and_only_the_scope_module_filters_on_tlp() {
    for krate in ["kyoyu-domain", "kyoyu-core", "kyoyu-web", "kyoyu-cli"] {
        assert!(
            !dependencies(krate).iter().any(|d| d == "sqlx"),
            "{krate} depends on sqlx"
        );
    }
    for file in rust_files(&crates_dir().join("kyoyu-store/src")) {
        if file.ends_with("scope.rs") {
            continue;
        }
        let text = read(&file);
        for pattern in ["tlp =", "tlp IN", "tlp <>", "tlp IS", "tlp >", "tlp <"] {
            assert!(
                !text.contains(pattern),
                "{} compares TLPs itself; use the functions of scope.rs",
                file.display()
            );
        }
    }
}

/// A public function's signature, up to its body.
struct PubFn {
    name: String,
    signature: String,
}

/// The `pub fn` / `pub async fn` items of a source (not `pub(crate)`), with signatures.
fn pub_fns(text: &str) -> Vec<PubFn> {
    let mut out = Vec::new();
    let code = code_only(text);
    let mut rest = code.as_str();
    while let Some(i) = rest.find("pub ") {
        let after = &rest[i + 4..];
        let sig_start = if let Some(a) = after.strip_prefix("async fn ") {
            Some(a)
        } else {
            after.strip_prefix("fn ")
        };
        if let Some(sig) = sig_start {
            let end = sig.find('{').unwrap_or(sig.len());
            let signature = sig[..end].to_owned();
            let name = signature
                .split(['(', '<'])
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            out.push(PubFn { name, signature });
        }
        rest = &rest[i + 4..];
    }
    out
}

/// Whether `signature` names the type `t` (not a longer name starting with it).
fn names_type(signature: &str, t: &str) -> bool {
    signature.match_indices(t).any(|(i, _)| {
        signature[i + t.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            || t.ends_with('<')
    })
}

/// Shared items leave the store only through `access.rs` (the scoped reader, which takes the
/// actor and answers only what the policy admits); every public write to an item takes the
/// permit the policy returned. `test_hooks.rs` exists only with the `test-hooks` feature.
#[test]
fn no_item_is_read_without_a_scope_or_written_without_a_permit() {
    let src = crates_dir().join("kyoyu-store/src");
    let item_types = [
        "ReportRecord",
        "AdvisoryRecord",
        "ScopeRequest",
        "Visible<",
        "ItemScope",
        "ReportListRow",
        "AdvisoryListRow",
    ];
    let mut writes = 0;
    for file in rust_files(&src) {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel == "access.rs" || rel.starts_with("access/") || rel == "test_hooks.rs" {
            continue;
        }
        for f in pub_fns(&read(&file)) {
            let returns = f.signature.split("->").nth(1).unwrap_or("");
            for t in item_types {
                assert!(
                    !names_type(returns, t),
                    "store/src/{rel}: `pub fn {}` hands out {t} without a scope; item reads go through `Tx::scoped` (access.rs)",
                    f.name
                );
            }
            if rel.starts_with("items/") && !rel.ends_with("mod.rs") && !rel.ends_with("blobs.rs") {
                assert!(
                    f.signature.contains("Permit"),
                    "store/src/{rel}: `pub fn {}` changes a shared item without a permit from the policy",
                    f.name
                );
                writes += 1;
            }
        }
    }
    assert!(
        writes >= 15,
        "only {writes} item writes found: is the parser blind?"
    );
    // The core does not hand the store to the web layer.
    for file in rust_files(&crates_dir().join("kyoyu-core/src")) {
        // `Core::new` takes the store the binary opened; nothing hands it out again.
        for f in pub_fns(&read(&file))
            .into_iter()
            .filter(|f| f.name != "new")
        {
            assert!(
                !f.signature.contains("Store") && !f.signature.contains("Tx"),
                "{}: `pub fn {}` exposes the store outside the core",
                file.display(),
                f.name
            );
        }
    }
}

/// An organisation's risk register is reached only with the `RiskOwner` the policy made: every
/// public function of the store's risk module takes one, but the one that lists candidate ids
/// for an arriving advisory (the core asks the policy before it opens anything).
#[test]
fn the_risk_register_is_read_and_written_only_for_its_owner() {
    let text = read(&crates_dir().join("kyoyu-store/src/risk.rs"));
    let fns = pub_fns(&text);
    assert!(fns.len() >= 12, "only {} functions found", fns.len());
    for f in fns {
        if f.name == "risks_matching" {
            assert!(
                !f.signature.contains("RiskDoc"),
                "risks_matching hands out records"
            );
            continue;
        }
        assert!(
            f.signature.contains("owner: &RiskOwner"),
            "store/src/risk.rs: `pub fn {}` touches risk data without the owner's proof",
            f.name
        );
    }
}

/// The time comes from the `Clock`, so that deadlines, lockouts and waits are testable.
#[test]
fn nothing_reads_the_time_but_the_clock() {
    for krate in PRODUCTION {
        for file in rust_files(&crates_dir().join(krate).join("src")) {
            let code = code_only(&read(&file));
            let clock = file.ends_with("kyoyu-core/src/lib.rs");
            for call in ["Utc::now()", "Local::now()", "SystemTime::now()"] {
                let n = code.matches(call).count();
                let allowed = usize::from(clock && call == "Utc::now()");
                assert!(
                    n <= allowed,
                    "{} reads the time with {call}; take it from the Core's clock",
                    file.display()
                );
            }
        }
    }
}

/// Every Japanese word a person reads lives in the message catalogue (or a data file), not in
/// a Rust string literal: the words can then be reviewed, and a second locale added, in one
/// place. Tests, attributes (the OpenAPI descriptions) and comments are not checked.
#[test]
fn no_japanese_literals_outside_the_catalogue() {
    let mut bad = Vec::new();
    for krate in PRODUCTION {
        for file in rust_files(&crates_dir().join(krate).join("src")) {
            if file.ends_with("tests.rs") || file.components().any(|c| c.as_os_str() == "tests") {
                continue;
            }
            for lit in string_literals(&code_only(&read(&file))) {
                if lit.chars().any(is_japanese_word_char) {
                    bad.push(format!("{}: \"{lit}\"", file.display()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "Japanese outside the catalogue:\n{}",
        bad.join("\n")
    );
}

/// Every catalogue key the code names exists in the Japanese catalogue.
#[test]
fn every_message_key_the_code_uses_is_in_the_catalogue() {
    let root = crates_dir();
    let cat: toml::Table = read(&root.join("kyoyu-domain/messages/ja.toml"))
        .parse()
        .unwrap();
    let mut keys = BTreeSet::new();
    flatten("", &toml::Value::Table(cat), &mut keys);
    let mut missing = Vec::new();
    let mut checked = 0;
    for krate in PRODUCTION {
        for file in rust_files(&root.join(krate).join("src")) {
            let code = read(&file);
            for call in ["Msg::new(\"", "ja(\"", "t_ja(\"", "t(Locale::Ja, \""] {
                for part in code.split(call).skip(1) {
                    let key = part.split('"').next().unwrap_or("");
                    if key.contains('.') && !key.contains(' ') && !key.contains('{') {
                        checked += 1;
                        if !keys.contains(key) {
                            missing.push(format!("{}: {key}", file.display()));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 150,
        "only {checked} keys found: is the scan blind?"
    );
    assert!(
        missing.is_empty(),
        "keys missing from ja.toml:\n{}",
        missing.join("\n")
    );
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeSet<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// Hiragana, katakana and kanji: the characters of Japanese words (punctuation alone, such as
/// 「、」 or 「（{}）」 in a format pattern, is not a word).
fn is_japanese_word_char(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF66..=0xFF9F)
}

/// The source without comments, attributes and `#[cfg(test)]` modules (tests name Japanese
/// strings to check them).
fn code_only(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut depth_attr = 0usize;
    let mut in_attr = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '"' || (c == 'r' && matches!(next, Some('"') | Some('#'))) {
            // Copy a string literal whole (raw strings too), so that brackets inside it do
            // not count.
            let start = i;
            let hashes = if c == 'r' {
                i += 1;
                let mut h = 0;
                while chars.get(i) == Some(&'#') {
                    h += 1;
                    i += 1;
                }
                Some(h)
            } else {
                None
            };
            if chars.get(i) != Some(&'"') {
                // `r` of an identifier.
                i = start + 1;
                if !in_attr {
                    out.push(c);
                }
                continue;
            }
            i += 1;
            while let Some(&ch) = chars.get(i) {
                match hashes {
                    None if ch == '\\' => i += 2,
                    None if ch == '"' => {
                        i += 1;
                        break;
                    }
                    Some(h) if ch == '"' && (0..h).all(|k| chars.get(i + 1 + k) == Some(&'#')) => {
                        i += 1 + h;
                        break;
                    }
                    _ => i += 1,
                }
            }
            if !in_attr {
                out.extend(&chars[start..i.min(chars.len())]);
            }
            continue;
        }
        if c == '\'' {
            // A char literal ('"', '\'') or a lifetime.
            if next == Some('\\') {
                let end = (i + 2..chars.len())
                    .find(|k| chars[*k] == '\'')
                    .unwrap_or(i + 2);
                if !in_attr {
                    out.extend(&chars[i..=end.min(chars.len() - 1)]);
                }
                i = end + 1;
                continue;
            }
            if chars.get(i + 2) == Some(&'\'') {
                if !in_attr {
                    out.extend(&chars[i..i + 3]);
                }
                i += 3;
                continue;
            }
        }
        if !in_attr
            && c == '#'
            && (next == Some('[') || (next == Some('!') && chars.get(i + 2) == Some(&'[')))
        {
            in_attr = true;
            depth_attr = 0;
            i += if next == Some('!') { 2 } else { 1 };
            continue;
        }
        if in_attr {
            if c == '[' {
                depth_attr += 1;
            } else if c == ']' {
                depth_attr -= 1;
                if depth_attr == 0 {
                    in_attr = false;
                }
            }
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The contents of the string literals of a comment-free source.
fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' && chars.get(i + 1) == Some(&'"') {
            i += 3;
            continue;
        }
        if chars[i] == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(c) = chars.get(i) {
                    s.push(*c);
                }
                i += 1;
            }
            out.push(s);
        }
        i += 1;
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `fixtures/` holds verbatim copies of the contract's example forms (shared/fixtures), so that
/// a clone builds and tests on its own; where shared/ is present beside the clone, they must be
/// identical.
#[test]
fn the_fixture_copies_match_the_contract() {
    let root = crates_dir().parent().unwrap().to_path_buf();
    let shared = root.parent().unwrap().join("shared/fixtures");
    for name in ["report-fig5.json", "advisory-fig8.json"] {
        let ours = std::fs::read(root.join("fixtures").join(name)).unwrap();
        if let Ok(theirs) = std::fs::read(shared.join(name)) {
            assert_eq!(
                ours, theirs,
                "fixtures/{name} differs from shared/fixtures/{name}"
            );
        }
    }
}
