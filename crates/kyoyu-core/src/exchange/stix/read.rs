//! A STIX 2.1 bundle as MISP, OpenCTI or kyoyu export it, read into what a draft needs: the
//! form kyoyu's own extension carries (a re-import), else the heading and text of its reports
//! and incidents, its TLP, the indicators, observables, vulnerabilities, malware and courses
//! of action it holds. The bundle is checked first; the first problem names the object and the
//! property.

use chrono::DateTime;
use kyoyu_domain::Tlp;
use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::messages::Msg;
use kyoyu_domain::report::ReportForm;
use serde_json::Value;

use super::{EXTENSION_ID, tlp_of_marking};

/// A problem of a bundle: where (`objects[3].pattern`) and what, in Japanese.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleProblem {
    pub path: String,
    pub message: Msg,
}

/// What a bundle holds for a draft.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The form of the newest edition kyoyu's extension carries (a bundle kyoyu exported).
    pub report_form: Option<ReportForm>,
    pub advisory_form: Option<AdvisoryForm>,
    /// `name` and `description` of the reports (and incidents), in bundle order.
    pub headings: Vec<String>,
    pub descriptions: Vec<String>,
    /// The narrowest TLP among its markings, if any.
    pub tlp: Option<Tlp>,
    /// Statement markings.
    pub statements: Vec<String>,
    /// Indicator patterns, and observable values (`ipv4-addr: 198.51.100.7`).
    pub indicators: Vec<String>,
    pub vulnerabilities: Vec<String>,
    pub malware: Vec<String>,
    pub courses: Vec<String>,
}

/// A problem of `property` of the object `who` (its id, or its place when it has none), at
/// `path`.
fn problem_of(path: String, who: &str, property: &str, key: &'static str) -> BundleProblem {
    BundleProblem {
        message: Msg::new(key).arg("object", who).arg("property", property),
        path,
    }
}

/// A problem of the bundle itself.
fn problem(path: String, key: &'static str) -> BundleProblem {
    problem_of(path.clone(), "bundle", &path, key)
}

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|t| DateTime::parse_from_rfc3339(t).is_ok())
}

fn text(o: &Value, k: &str) -> Option<String> {
    o[k].as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The properties each type must have, beyond `type` and `id` (STIX 2.1 §4–6, as far as a
/// draft reads them).
fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "report" => &["name", "published", "object_refs"],
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "incident" | "vulnerability" | "course-of-action" | "identity" => &["name"],
        "malware" => &["is_family"],
        "marking-definition" => &[],
        _ => &[],
    }
}

/// Checks the shape of one object; `None` when it is well formed.
fn problem_path(i: usize, prop: &str) -> String {
    format!("objects[{i}].{prop}")
}

fn check(i: usize, o: &Value) -> Option<BundleProblem> {
    let place = format!("objects[{i}]");
    let who = o["id"].as_str().unwrap_or(&place).to_owned();
    let at = |prop: &str| problem_path(i, prop);
    let bad = |prop: &str, key: &'static str| Some(problem_of(at(prop), &who, prop, key));
    let Some(map) = o.as_object() else {
        return Some(problem_of(place.clone(), &place, "", "stix.not_an_object"));
    };
    let Some(kind) = map.get("type").and_then(Value::as_str) else {
        return bad("type", "stix.missing");
    };
    let Some(id) = map.get("id").and_then(Value::as_str) else {
        return bad("id", "stix.missing");
    };
    let well_formed = id
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix("--"))
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
    if !well_formed {
        return bad("id", "stix.bad_id");
    }
    if let Some(v) = map.get("spec_version")
        && v != "2.1"
    {
        return bad("spec_version", "stix.bad_spec_version");
    }
    for k in [
        "created",
        "modified",
        "published",
        "valid_from",
        "valid_until",
    ] {
        if map.get(k).is_some_and(|v| !is_time(v)) {
            return bad(k, "stix.bad_time");
        }
    }
    for k in required(kind) {
        if !map.contains_key(*k) {
            return bad(k, "stix.missing");
        }
    }
    for k in ["name", "description", "pattern"] {
        if map.get(k).is_some_and(|v| !v.is_string()) {
            return bad(k, "stix.not_text");
        }
    }
    for k in ["object_refs", "object_marking_refs"] {
        if map
            .get(k)
            .is_some_and(|v| !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        {
            return bad(k, "stix.not_refs");
        }
    }
    None
}

/// The form a kyoyu extension of `o` carries, when it is of `item` (the newest edition wins).
fn kyoyu_form<T: serde::de::DeserializeOwned>(
    i: usize,
    o: &Value,
    item: &str,
) -> Result<Option<(u64, T)>, BundleProblem> {
    let ext = &o["extensions"][EXTENSION_ID];
    if ext["item"] != item {
        return Ok(None);
    }
    let edition = ext["edition"].as_u64().unwrap_or(1);
    serde_json::from_value(ext["form"].clone())
        .map(|f| Some((edition, f)))
        .map_err(|e| {
            let prop = format!("extensions.{EXTENSION_ID}.form");
            let who = o["id"].as_str().unwrap_or_default();
            let mut p = problem_of(problem_path(i, &prop), who, &prop, "stix.bad_kyoyu_form");
            p.message = p.message.arg("detail", e);
            p
        })
}

/// Reads a bundle, or the first problem it has.
pub fn read_bundle(bundle: &Value) -> Result<Incoming, BundleProblem> {
    if bundle["type"] != "bundle" {
        return Err(problem("type".into(), "stix.not_a_bundle"));
    }
    let well_formed = bundle["id"]
        .as_str()
        .and_then(|id| id.strip_prefix("bundle--"))
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
    if !well_formed {
        return Err(problem("id".into(), "stix.bad_bundle_id"));
    }
    let Some(objects) = bundle["objects"].as_array().filter(|o| !o.is_empty()) else {
        return Err(problem("objects".into(), "stix.no_objects"));
    };
    if let Some(p) = objects.iter().enumerate().find_map(|(i, o)| check(i, o)) {
        return Err(p);
    }
    let mut inc = Incoming::default();
    let mut report_form: Option<(u64, ReportForm)> = None;
    let mut advisory_form: Option<(u64, AdvisoryForm)> = None;
    let push = |list: &mut Vec<String>, v: String| {
        if !list.contains(&v) {
            list.push(v);
        }
    };
    for (i, o) in objects.iter().enumerate() {
        let kind = o["type"].as_str().unwrap_or_default();
        for r in o["object_marking_refs"].as_array().into_iter().flatten() {
            if let Some(t) = r.as_str().and_then(tlp_of_marking) {
                inc.tlp = Some(inc.tlp.map_or(t, |old| old.min(t)));
            }
        }
        match kind {
            "report" | "incident" => {
                if let Some(f) = kyoyu_form::<ReportForm>(i, o, "report_edition")?
                    && report_form.as_ref().is_none_or(|(e, _)| f.0 >= *e)
                {
                    report_form = Some(f);
                }
                if let Some(f) = kyoyu_form::<AdvisoryForm>(i, o, "advisory")?
                    && advisory_form.as_ref().is_none_or(|(e, _)| f.0 >= *e)
                {
                    advisory_form = Some(f);
                }
                if let Some(n) = text(o, "name") {
                    push(&mut inc.headings, n);
                }
                if let Some(d) = text(o, "description") {
                    push(&mut inc.descriptions, d);
                }
            }
            "indicator" => {
                let pattern = text(o, "pattern").unwrap_or_default();
                let line = match text(o, "name") {
                    Some(n) => format!("{n}: {pattern}"),
                    None => pattern,
                };
                push(&mut inc.indicators, line);
            }
            "vulnerability" => {
                if let Some(n) = text(o, "name") {
                    push(&mut inc.vulnerabilities, n);
                }
            }
            "malware" => {
                let name = text(o, "name")
                    .unwrap_or_else(|| o["id"].as_str().unwrap_or_default().to_owned());
                push(&mut inc.malware, name);
            }
            "course-of-action" => {
                let line = match (text(o, "name"), text(o, "description")) {
                    (Some(n), Some(d)) => format!("{n}: {d}"),
                    (n, d) => n.or(d).unwrap_or_default(),
                };
                push(&mut inc.courses, line);
            }
            "marking-definition" => {
                if let Some(s) = o["definition"]["statement"].as_str() {
                    push(&mut inc.statements, s.to_owned());
                }
            }
            "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" => {
                if let Some(v) = text(o, "value") {
                    push(&mut inc.indicators, format!("{kind}: {v}"));
                }
            }
            "file" => {
                for (algo, h) in o["hashes"].as_object().into_iter().flatten() {
                    if let Some(h) = h.as_str() {
                        push(&mut inc.indicators, format!("file {algo}: {h}"));
                    }
                }
            }
            _ => {}
        }
    }
    inc.report_form = report_form.map(|(_, f)| f);
    inc.advisory_form = advisory_form.map(|(_, f)| f);
    Ok(inc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn misp_like() -> Value {
        json!({
            "type": "bundle",
            "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
            "objects": [
                {"type": "report", "spec_version": "2.1", "id": "report--5d0092c5-5f74-4287-9642-33f4c354e56d",
                 "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
                 "name": "OSINT - VPN appliance exploitation", "published": "2026-04-01T00:00:00Z",
                 "object_refs": ["indicator--6d0092c5-5f74-4287-9642-33f4c354e56d"],
                 "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
                 "x_misp_attribute_count": 2},
                {"type": "indicator", "spec_version": "2.1", "id": "indicator--6d0092c5-5f74-4287-9642-33f4c354e56d",
                 "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
                 "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                 "valid_from": "2026-04-01T00:00:00Z",
                 "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]},
                {"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--7d0092c5-5f74-4287-9642-33f4c354e56d",
                 "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z", "name": "CVE-2024-3400"},
                {"type": "x-misp-object", "id": "x-misp-object--8d0092c5-5f74-4287-9642-33f4c354e56d", "anything": 1}
            ]
        })
    }

    #[test]
    fn a_misp_bundle_gives_its_heading_tlp_and_indicators() {
        let inc = read_bundle(&misp_like()).unwrap();
        assert_eq!(inc.headings, vec!["OSINT - VPN appliance exploitation"]);
        assert_eq!(
            inc.tlp,
            Some(Tlp::Amber),
            "the narrowest of Green and Amber (TLP 1.0 ids)"
        );
        assert_eq!(inc.indicators, vec!["[ipv4-addr:value = '198.51.100.7']"]);
        assert_eq!(inc.vulnerabilities, vec!["CVE-2024-3400"]);
        assert!(inc.report_form.is_none());
    }

    #[test]
    fn a_bad_bundle_names_the_object_and_the_property() {
        let mut b = misp_like();
        b["objects"][1].as_object_mut().unwrap().remove("pattern");
        assert_eq!(read_bundle(&b).unwrap_err().path, "objects[1].pattern");
        let mut b = misp_like();
        b["objects"][2]["id"] = json!("indicator--7d0092c5-5f74-4287-9642-33f4c354e56d");
        assert_eq!(read_bundle(&b).unwrap_err().path, "objects[2].id");
        let mut b = misp_like();
        b["objects"][0]["created"] = json!("yesterday");
        assert_eq!(read_bundle(&b).unwrap_err().path, "objects[0].created");
        assert_eq!(
            read_bundle(&json!({"type": "report"})).unwrap_err().path,
            "type"
        );
    }
}
