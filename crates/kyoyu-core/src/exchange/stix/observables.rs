//! The indicators a text names — IP addresses, domains, URLs, file hashes — as STIX
//! cyber-observable objects. Defanged writing (`example[.]com`, `hxxp://`) is read as what it
//! stands for. Names that look like file names (`report.pdf`) are not domains.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::Objects;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Observable {
    Ipv4(String),
    Domain(String),
    Url(String),
    /// A hash by its STIX algorithm name (`SHA-256`, `SHA-1`, `MD5`).
    Hash(&'static str, String),
}

#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a fixed pattern")
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)(?:https?|hxxps?)://[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u:\b)(?:\d{1,3}\.){3}\d{1,3}(?-u:\b)"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9](?-u:\b)",
    )
});
static CVE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?-u:\b)CVE-\d{4}-\d{4,7}(?-u:\b)"));
static HEX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?-u:\b)[0-9a-f]{32,64}(?-u:\b)"));

/// Final labels that are file types, not top-level domains.
const FILE_TYPES: &[&str] = &[
    "exe", "dll", "bat", "ps1", "vbs", "js", "jar", "zip", "rar", "7z", "gz", "tar", "pdf", "doc",
    "docx", "xls", "xlsx", "xlsm", "ppt", "pptx", "txt", "csv", "json", "xml", "html", "htm",
    "png", "jpg", "jpeg", "gif", "lnk", "iso", "img", "msi", "log", "py", "sh", "rs", "md",
];

fn refang(text: &str) -> String {
    text.replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":")
        .replace("hxxp", "http")
        .replace("HXXP", "HTTP")
}

/// Every observable `texts` name, each once, in a stable order.
pub fn observables_in<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<Observable> {
    let mut found = BTreeSet::new();
    for text in texts {
        let text = refang(text);
        let mut rest = text.clone();
        for m in URL.find_iter(&text) {
            let url = m.as_str().trim_end_matches(['.', ',', ')', ']']);
            found.insert(Observable::Url(url.to_owned()));
            rest = rest.replace(m.as_str(), " ");
        }
        for m in HEX.find_iter(&rest) {
            let h = m.as_str().to_ascii_lowercase();
            let algo = match h.len() {
                64 => "SHA-256",
                40 => "SHA-1",
                32 => "MD5",
                _ => continue,
            };
            found.insert(Observable::Hash(algo, h));
        }
        for m in IPV4.find_iter(&rest) {
            if m.as_str().parse::<Ipv4Addr>().is_ok() {
                found.insert(Observable::Ipv4(m.as_str().to_owned()));
            }
        }
        for m in DOMAIN.find_iter(&rest) {
            let d = m.as_str().to_ascii_lowercase();
            let last = d.rsplit('.').next().unwrap_or_default();
            let is_ip = d.parse::<Ipv4Addr>().is_ok();
            let after = &rest[m.end()..];
            // An e-mail address is a person's contact, not an indicator.
            let before_at = rest[..m.start()].ends_with('@') || after.starts_with('@');
            if !is_ip
                && !before_at
                && !last.chars().all(|c| c.is_ascii_digit())
                && !FILE_TYPES.contains(&last)
            {
                found.insert(Observable::Domain(d));
            }
        }
    }
    found.into_iter().collect()
}

/// The CVE ids `texts` name (`CVE-2024-3400`), each once, upper case.
pub fn cves_in<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found = BTreeSet::new();
    for text in texts {
        found.extend(CVE.find_iter(text).map(|m| m.as_str().to_ascii_uppercase()));
    }
    found.into_iter().collect()
}

impl Observable {
    /// The STIX object, marked with `markings`.
    pub fn to_stix(&self, markings: &[String]) -> Value {
        let (kind, contributing) = match self {
            Observable::Ipv4(v) => ("ipv4-addr", json!({ "value": v })),
            Observable::Domain(v) => ("domain-name", json!({ "value": v })),
            Observable::Url(v) => ("url", json!({ "value": v })),
            Observable::Hash(algo, v) => ("file", json!({ "hashes": { *algo: v } })),
        };
        let mut obj = contributing.clone();
        obj["type"] = json!(kind);
        obj["spec_version"] = json!("2.1");
        obj["id"] = json!(Objects::sco_id(kind, &contributing));
        obj["object_marking_refs"] = json!(markings);
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_names_its_indicators_once_each() {
        let text = "C2 サーバ198.51.100.7とevil-cdn[.]exampleへ通信。hxxp://evil-cdn.example/payload.binを取得。\
                    検体 SHA-256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08、再度 198.51.100.7。\
                    報告書 report.pdf と連絡先 renraku@op.example は指標ではない。版 1.2.3";
        let found = observables_in([text]);
        assert_eq!(
            found,
            vec![
                Observable::Ipv4("198.51.100.7".into()),
                Observable::Domain("evil-cdn.example".into()),
                Observable::Url("http://evil-cdn.example/payload.bin".into()),
                Observable::Hash(
                    "SHA-256",
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into()
                ),
            ]
        );
    }

    #[test]
    fn cve_ids_are_found_in_any_case() {
        assert_eq!(
            cves_in(["cve-2024-3400 と CVE-2023-4966、再掲 CVE-2024-3400"]),
            vec!["CVE-2023-4966".to_owned(), "CVE-2024-3400".to_owned()]
        );
    }

    #[test]
    fn an_address_that_is_not_one_is_not_taken() {
        assert!(observables_in(["999.1.1.1 と 10.0.0"]).is_empty());
    }
}
