//! A published advisory, as the caller's view shows it, in STIX: a `report` by NISC carrying
//! its number (re-versioned by each edition: same id, later `modified`), a `course-of-action`
//! for its 対処方針, the CVEs it names as `vulnerability` objects, its indicators as
//! observables and its samples' hashes as `file` objects.

use kyoyu_domain::messages::ja;
use kyoyu_domain::reference::ReferenceData;
use serde_json::json;

use super::{Objects, cves_in, observables_in, statements, stix_time};
use crate::advisories::AdvisoryView;

/// Adds the advisory's objects; `false` when it is not published (nothing to export).
pub fn advisory_objects(o: &mut Objects, a: &AdvisoryView, reference: &ReferenceData) -> bool {
    let Some(published) = a.published_at.as_deref() else {
        return false;
    };
    let form = &a.form;
    let sector_names: Vec<String> = form
        .sectors()
        .iter()
        .map(|s| reference.sector_name(s).to_owned())
        .collect();
    let markings = o.markings(
        a.tlp,
        &statements(a.tlp, &sector_names, &[], &form.tlp_note),
    );
    let nisc = o.identity_at("role:nisc", &ja("stix.nisc_name", &[]), None, &markings);
    let first_published = a
        .editions
        .iter()
        .find_map(|(_, _, at)| at.as_deref())
        .unwrap_or(published);
    let report_id = o.id("report", &format!("advisory:{}", a.id));
    let texts = form
        .texts()
        .into_iter()
        .filter(|(f, _)| *f != "tlp_note")
        .map(|(_, t)| t)
        .collect::<Vec<_>>();
    let mut refs = vec![json!(nisc)];
    if !form.countermeasures.trim().is_empty() {
        let id = o.id("course-of-action", &format!("advisory:{}", a.id));
        o.push(json!({
            "type": "course-of-action",
            "spec_version": "2.1",
            "id": id,
            "created_by_ref": nisc,
            "created": stix_time(first_published),
            "modified": stix_time(published),
            "name": ja("stix.countermeasures_name", &[("heading", &a.title)]),
            "description": form.countermeasures,
            "object_marking_refs": markings,
        }));
        refs.push(json!(id));
    }
    refs.extend(o.vulnerabilities(&cves_in(texts.iter().copied()), &markings));
    for ob in observables_in(texts.iter().copied()) {
        let sco = ob.to_stix(&markings);
        refs.push(sco["id"].clone());
        o.push(sco);
    }
    for f in a.attachments.iter().filter(|f| f.kind == "sample") {
        let hashes = json!({ "SHA-256": f.sha256, "SHA-1": f.sha1, "MD5": f.md5 });
        let id = Objects::sco_id("file", &json!({ "hashes": hashes, "name": f.file_name }));
        o.push(json!({
            "type": "file",
            "spec_version": "2.1",
            "id": id,
            "hashes": hashes,
            "name": f.file_name,
            "size": f.size,
            "object_marking_refs": markings,
        }));
        refs.push(json!(id));
    }
    let ext = o.extension(json!({ "item": "advisory", "edition": form.edition, "form": form }));
    let mut report = json!({
        "type": "report",
        "spec_version": "2.1",
        "id": report_id,
        "created_by_ref": nisc,
        "created": stix_time(first_published),
        "modified": stix_time(published),
        "name": a.title,
        "report_types": ["threat-report"],
        "published": stix_time(published),
        "object_refs": refs,
        "object_marking_refs": markings,
        "extensions": ext,
    });
    if !form.overview.trim().is_empty() {
        report["description"] = json!(form.overview);
    }
    if let Some(n) = &a.number {
        report["external_references"] = json!([{
            "source_name": "kyoyu",
            "external_id": n,
            "description": ja("stix.advisory_reference", &[("number", n)]),
        }]);
    }
    o.push(report);
    true
}
