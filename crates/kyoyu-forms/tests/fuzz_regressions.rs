//! Every input the fuzzers started from (`fuzz/corpus/<target>/`) and every input that ever
//! crashed one (`fuzz/regressions/<target>/`) goes through the same entry point again, on
//! stable Rust, in every test run: none may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

type Entry = fn(&[u8]);

const TARGETS: &[(&str, Entry)] = &[
    (
        "report_form_json",
        kyoyu_forms::fuzz_entry::report_form_json,
    ),
    (
        "advisory_form_json",
        kyoyu_forms::fuzz_entry::advisory_form_json,
    ),
    ("search_query", kyoyu_forms::fuzz_entry::search_query),
    ("report_xlsx", kyoyu_forms::fuzz_entry::report_xlsx),
    ("advisory_xlsx", kyoyu_forms::fuzz_entry::advisory_xlsx),
    ("reference_toml", kyoyu_forms::fuzz_entry::reference_toml),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_and_every_former_crash_goes_through_without_a_panic() {
    for (target, entry) in TARGETS {
        let seeds = inputs(&fuzz_dir().join("corpus").join(target));
        assert!(!seeds.is_empty(), "{target} has no seed input");
        let crashes = inputs(&fuzz_dir().join("regressions").join(target));
        for file in seeds.iter().chain(&crashes) {
            let bytes = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&bytes));
            assert!(outcome.is_ok(), "{target} panics on {}", file.display());
        }
    }
}

/// The fuzz crate names exactly these targets, each calling its entry point.
#[test]
fn the_fuzz_crate_has_a_target_for_each_entry_point() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (target, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target}"
        );
        let body =
            std::fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{target}.rs"))).unwrap();
        assert!(
            body.contains(&format!("fuzz_entry::{target}(data)")),
            "{target}"
        );
    }
}
