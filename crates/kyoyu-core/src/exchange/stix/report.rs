//! A report thread, as the caller's view shows it, in STIX: one `incident` (re-versioned by
//! each edition: same id, later `modified`), a `report` per sent edition carrying its number,
//! the identity of the originator the view shows (the anonymising CEPTOAR, never the hidden
//! reporter), a `note` for each correction a forwarder made, the samples' hashes as `file`
//! objects and the indicators the text names as observables.

use kyoyu_domain::messages::ja;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::report::ReportForm;
use serde_json::json;

use super::{Objects, cves_in, observables_in, statements, stix_time};
use crate::reports::{EditionView, ReportThread};

/// The texts of a form that may name indicators (never the contact block).
fn texts(form: &ReportForm) -> Vec<&str> {
    let mut out = Vec::new();
    if let Some(s) = &form.summary {
        out.extend(s.description.as_deref());
        out.extend(s.affected_system.as_deref());
    }
    if let Some(i) = &form.impact {
        out.extend(i.note.as_deref());
    }
    out.extend(form.timeline.iter().map(|t| t.text.as_str()));
    out.extend(form.lessons.as_deref());
    out
}

fn sent(t: &ReportThread) -> Vec<&EditionView> {
    t.editions.iter().filter(|e| e.state == "sent").collect()
}

/// `【訓練】R1 (title)` — the heading a page shows.
fn heading(exercise: bool, number: Option<&str>, form: &ReportForm) -> String {
    let title = form.title();
    let title = if title.is_empty() {
        ja("stix.untitled_report", &[])
    } else {
        title
    };
    let prefix = if exercise {
        ja("report.exercise_prefix", &[])
    } else {
        String::new()
    };
    match number {
        Some(n) => format!("{prefix}{n} {title}"),
        None => format!("{prefix}{title}"),
    }
}

/// Adds the thread's objects; `false` when the view shows no sent edition (nothing to export).
pub fn report_objects(o: &mut Objects, t: &ReportThread, reference: &ReferenceData) -> bool {
    let editions = sent(t);
    let (Some(first), Some(last)) = (editions.first(), editions.last()) else {
        return false;
    };
    let (Some(first_v), Some(last_v)) = (first.versions.first(), last.latest()) else {
        return false;
    };
    let sector_names = vec![reference.sector_name(&t.sector).to_owned()];
    let mark = |o: &mut Objects, form: &ReportForm| {
        let parties: Vec<String> = form.tlp_additions.iter().map(|c| c.to_string()).collect();
        o.markings(
            t.tlp,
            &statements(t.tlp, &sector_names, &parties, &form.tlp_note),
        )
    };
    let markings = mark(o, &last_v.form);
    let originator = o.identity(&t.originator, Some(&t.sector), &markings);
    let incident_id = o.id("incident", &format!("report:{}", t.id));
    let modified = |e: &EditionView| {
        e.latest()
            .map(|v| stix_time(v.sent_at.as_deref().unwrap_or(&v.created_at)))
            .unwrap_or_default()
    };
    let created = stix_time(first_v.sent_at.as_deref().unwrap_or(&first_v.created_at));
    let ext = o.extension(json!({
        "item": "report",
        "number": t.number,
        "sector": t.sector,
        "anonymized": t.anonymized,
        "exercise": t.exercise,
        "follow_up_expected": t.follow_up_expected,
        "editions": editions.len(),
    }));
    let mut incident = json!({
        "type": "incident",
        "spec_version": "2.1",
        "id": incident_id,
        "created_by_ref": originator,
        "created": created,
        "modified": modified(last),
        "name": heading(t.exercise, t.number.as_deref(), &last_v.form),
        "object_marking_refs": markings,
        "extensions": ext,
    });
    if let Some(d) = last_v
        .form
        .summary
        .as_ref()
        .and_then(|s| s.description.as_deref())
    {
        incident["description"] = json!(d);
    }
    o.push(incident);

    for e in &editions {
        let (Some(v0), Some(v)) = (e.versions.first(), e.latest()) else {
            continue;
        };
        let markings = mark(o, &v.form);
        let author = o.identity(&v.author_org, None, &markings);
        let report_id = o.id("report", &format!("report:{}:edition:{}", t.id, e.edition));
        let mut refs = vec![json!(incident_id), json!(originator)];
        for ob in observables_in(texts(&v.form)) {
            let sco = ob.to_stix(&markings);
            refs.push(sco["id"].clone());
            o.push(sco);
        }
        refs.extend(o.vulnerabilities(&cves_in(texts(&v.form)), &markings));
        for a in t
            .attachments
            .iter()
            .filter(|a| a.edition == e.edition && a.kind == "sample")
        {
            let hashes = json!({ "SHA-256": a.sha256, "SHA-1": a.sha1, "MD5": a.md5 });
            let id = Objects::sco_id("file", &json!({ "hashes": hashes, "name": a.file_name }));
            o.push(json!({
                "type": "file",
                "spec_version": "2.1",
                "id": id,
                "hashes": hashes,
                "name": a.file_name,
                "size": a.size,
                "object_marking_refs": markings,
            }));
            refs.push(json!(id));
        }
        let ext = o.extension(json!({
            "item": "report_edition",
            "edition": e.edition,
            "form": v.form,
        }));
        let mut report = json!({
            "type": "report",
            "spec_version": "2.1",
            "id": report_id,
            "created_by_ref": author,
            "created": stix_time(v0.sent_at.as_deref().unwrap_or(&v0.created_at)),
            "modified": modified(e),
            "name": ja("stix.edition_name", &[
                ("heading", &heading(t.exercise, e.number.as_deref(), &v.form)),
                ("edition", &e.edition.to_string()),
            ]),
            "report_types": ["threat-report"],
            "published": stix_time(v.sent_at.as_deref().unwrap_or(&v.created_at)),
            "object_refs": refs,
            "object_marking_refs": markings,
            "extensions": ext,
        });
        if let Some(n) = &e.number {
            report["external_references"] = json!([{
                "source_name": "kyoyu",
                "external_id": n,
                "description": ja("stix.report_reference", &[("number", n)]),
            }]);
        }
        if let Some(d) = v
            .form
            .summary
            .as_ref()
            .and_then(|s| s.description.as_deref())
        {
            report["description"] = json!(d);
        }
        o.push(report);
        // What a forwarder changed in this edition (a correction, the anonymised version).
        for w in e.versions.windows(2) {
            let (before, after) = (&w[0], &w[1]);
            if after.author_org.code == before.author_org.code {
                continue;
            }
            let by = o.identity(&after.author_org, None, &markings);
            let changed = after.form.changed_fields(&before.form);
            let labels: Vec<&str> = changed
                .iter()
                .map(|f| kyoyu_domain::report::field_label(f))
                .filter(|l| !l.is_empty())
                .collect();
            o.push(json!({
                "type": "note",
                "spec_version": "2.1",
                "id": o.id("note", &format!("report:{}:edition:{}:version:{}", t.id, e.edition, after.version)),
                "created_by_ref": by,
                "created": stix_time(&after.created_at),
                "modified": stix_time(&after.created_at),
                "abstract": ja("stix.correction_abstract", &[("org", &after.author_org.name)]),
                "content": ja("stix.correction_content", &[
                    ("org", &after.author_org.name),
                    ("edition", &e.edition.to_string()),
                    ("fields", &kyoyu_domain::messages::join_codes(&labels)),
                ]),
                "object_refs": [report_id],
                "object_marking_refs": markings,
            }));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use kyoyu_domain::report::Summary;

    #[test]
    fn the_contact_block_is_never_read_for_indicators() {
        let mut form: ReportForm =
            serde_json::from_value(kyoyu_test_support::fixture_form()).unwrap();
        form.contact.email = "renraku@reporter.example".into();
        form.summary = Some(Summary {
            description: Some("C2 は 203.0.113.9".into()),
            ..Summary::default()
        });
        let found = observables_in(texts(&form));
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
