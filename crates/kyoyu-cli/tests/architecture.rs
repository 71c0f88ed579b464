//! Repository rules kept as tests (see ARCHITECTURE.md): the dependency direction
//! domain ← store ← core ← web ← cli, a domain without I/O, and sharing-scope filtering in one
//! place only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The normal (not dev) dependencies of a crate, by name.
fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn crates_depend_only_in_the_allowed_direction() {
    let allowed: &[(&str, &[&str])] = &[
        ("kyoyu-domain", &[]),
        ("kyoyu-store", &["kyoyu-domain"]),
        ("kyoyu-core", &["kyoyu-domain", "kyoyu-store"]),
        ("kyoyu-web", &["kyoyu-domain", "kyoyu-core"]),
        (
            "kyoyu-cli",
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
        let text = std::fs::read_to_string(&file).unwrap();
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
        let text = std::fs::read_to_string(&file).unwrap();
        for pattern in ["tlp =", "tlp IN", "tlp <>", "tlp IS"] {
            assert!(
                !text.contains(pattern),
                "{} filters on the TLP itself; use scope::push_predicate",
                file.display()
            );
        }
    }
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
