//! STIX 2.1 objects of kyoyu's items: the pieces every bundle shares (ids, timestamps, TLP 2.0
//! and statement markings, identities, kyoyu's property extension) here; a report thread in
//! `report`, an advisory in `advisory`, the indicators a text names in `observables`.
//!
//! Ids are UUIDv5: an SDO's from the installation's key and the item's place (report 3,
//! edition 2), an SCO's as STIX 2.1 §2.9 defines it, so exporting the same edition twice
//! yields the same objects, and two installations never collide.

mod advisory;
mod observables;
mod read;
mod report;

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use kyoyu_domain::Tlp;
use kyoyu_domain::messages::ja;
use serde_json::{Value, json};
use uuid::{Uuid, uuid};

pub use advisory::advisory_objects;
pub use observables::{Observable, cves_in, observables_in};
pub use read::{BundleProblem, Incoming, read_bundle};
pub use report::report_objects;

use crate::directory::OrgRef;

/// The media type of a STIX 2.1 bundle.
pub const MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// kyoyu's property extension: every 様式 field STIX has no property for. Fixed for every
/// installation, so a consumer needs to learn it once.
pub const EXTENSION_ID: &str = "extension-definition--6a0f2c1e-5b3d-4c7a-9e21-8d4f0b7c3a15";

/// The JSON Schema of [`EXTENSION_ID`] (validates an object that carries the extension).
pub const EXTENSION_SCHEMA: &str = include_str!(
    "../../../stix/schemas/extension-definition--6a0f2c1e-5b3d-4c7a-9e21-8d4f0b7c3a15.json"
);

/// The kyoyu project, author of the extension definition (the same everywhere).
const PROJECT_IDENTITY: &str = "identity--0b6a8a43-2f7e-4d1c-8a55-3c9e7f1d2b64";

/// The TLP 2.0 marking extension of OASIS (cti-stix-common-objects).
const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// `created` of objects that never change (identities, markings, the extension definition).
const EPOCH: &str = "2026-01-01T00:00:00.000Z";

/// The namespace of kyoyu's own ids, before the installation's key is mixed in.
const KYOYU_NAMESPACE: Uuid = uuid!("5a1b6f0e-3c2d-4e8f-9a7b-1c2d3e4f5a6b");

/// The namespace STIX 2.1 fixes for the ids of cyber-observable objects.
const SCO_NAMESPACE: Uuid = uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// A UUID derived from `name` (as UUIDv5 derives it) but written as a version 4 one: STIX
/// asks SDOs and bundles for UUIDv4, and kyoyu wants the same id for the same object on every
/// export.
fn derived_v4(namespace: &Uuid, name: &str) -> Uuid {
    uuid::Builder::from_random_bytes(*Uuid::new_v5(namespace, name.as_bytes()).as_bytes())
        .into_uuid()
}

/// The official TLP 2.0 marking of a kyoyu TLP: White is TLP:CLEAR; Amber is TLP:AMBER (its
/// audience, wider than TLP 2.0's, is stated by a statement marking beside it).
pub fn tlp_marking_id(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::White => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    }
}

/// The TLP a marking id stands for (TLP 2.0 ids, and TLP 1.0's as MISP and OpenCTI still
/// export them).
pub fn tlp_of_marking(id: &str) -> Option<Tlp> {
    [Tlp::Red, Tlp::Amber, Tlp::Green, Tlp::White]
        .into_iter()
        .find(|t| tlp_marking_id(*t) == id)
        .or(match id {
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Some(Tlp::Red),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Some(Tlp::Amber),
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003" => Some(Tlp::Amber),
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Some(Tlp::Green),
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Some(Tlp::White),
            _ => None,
        })
}

fn tlp_marking(tlp: Tlp) -> Value {
    let (name, level) = match tlp {
        Tlp::Red => ("TLP:RED", "red"),
        Tlp::Amber => ("TLP:AMBER", "amber"),
        Tlp::Green => ("TLP:GREEN", "green"),
        Tlp::White => ("TLP:CLEAR", "clear"),
    };
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp_marking_id(tlp),
        "created": "2022-10-01T00:00:00.000Z",
        "name": name,
        "extensions": {
            TLP2_EXTENSION: { "extension_type": "property-extension", "tlp_2_0": level }
        }
    })
}

/// A stored time as STIX writes it: UTC, milliseconds, `Z`.
pub fn stix_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| EPOCH.to_owned())
}

/// The STIX industry sector of a kyoyu sector, where the vocabulary has one.
fn industry_sector(code: &str) -> Option<&'static str> {
    Some(match code {
        "info_comm" => "telecommunications",
        "finance" | "credit" => "financial-services",
        "aviation" | "airport" | "railway" | "logistics" | "port" => "transportation",
        "electricity" | "gas" | "petroleum" => "energy",
        "government" => "government",
        "medical" => "healthcare",
        "water" => "water",
        "chemical" => "chemical",
        _ => return None,
    })
}

/// The objects of one export, in the order they were added, each (id, version) once.
pub struct Objects {
    namespace: Uuid,
    list: Vec<Value>,
    seen: BTreeSet<(String, String)>,
}

impl Objects {
    /// An empty set for the installation whose key is `installation`.
    pub fn new(installation: &str) -> Objects {
        Objects {
            namespace: Uuid::new_v5(&KYOYU_NAMESPACE, installation.as_bytes()),
            list: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// The id of kyoyu's object of `kind` at `place`.
    pub fn id(&self, kind: &str, place: &str) -> String {
        format!(
            "{kind}--{}",
            derived_v4(&self.namespace, &format!("{kind}:{place}"))
        )
    }

    /// Adds an object unless this version of it is already there. STIX has no null: a
    /// property without a value (an unnumbered thread's number) is left out.
    pub fn push(&mut self, mut obj: Value) {
        drop_nulls(&mut obj);
        let key = (
            obj["id"].as_str().unwrap_or_default().to_owned(),
            obj["modified"].as_str().unwrap_or_default().to_owned(),
        );
        if self.seen.insert(key) {
            self.list.push(obj);
        }
    }

    /// The identity of an organisation (`sector`: its sector code, when known), added once.
    pub fn identity(&mut self, org: &OrgRef, sector: Option<&str>, markings: &[String]) -> String {
        self.identity_at(&format!("org:{}", org.code), &org.name, sector, markings)
    }

    /// The identity at `place` (an organisation, or a role such as NISC as the author of
    /// advisories), added once.
    pub fn identity_at(
        &mut self,
        place: &str,
        name: &str,
        sector: Option<&str>,
        markings: &[String],
    ) -> String {
        let id = self.id("identity", place);
        let mut obj = json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": id,
            "created": EPOCH,
            "modified": EPOCH,
            "name": name,
            "identity_class": "organization",
            "object_marking_refs": markings,
        });
        if let Some(s) = sector.and_then(industry_sector) {
            obj["sectors"] = json!([s]);
        }
        self.push(obj);
        id
    }

    /// The markings of an item of `tlp`: its TLP 2.0 marking and one statement marking per
    /// text of `statements` (the Amber audience, the 特記事項). Adds the definitions; returns
    /// the references.
    pub fn markings(&mut self, tlp: Tlp, statements: &[String]) -> Vec<String> {
        self.push(tlp_marking(tlp));
        let mut refs = vec![tlp_marking_id(tlp).to_owned()];
        for text in statements.iter().filter(|t| !t.trim().is_empty()) {
            let id = self.id("marking-definition", &format!("statement:{text}"));
            self.push(json!({
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": id,
                "created": EPOCH,
                "definition_type": "statement",
                "definition": { "statement": text },
            }));
            refs.push(id);
        }
        refs
    }

    /// The extension definition, its author, and `props` as kyoyu's property extension.
    pub fn extension(&mut self, props: Value) -> Value {
        self.push(json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": PROJECT_IDENTITY,
            "created": EPOCH,
            "modified": EPOCH,
            "name": ja("stix.project_name", &[]),
            "identity_class": "organization",
        }));
        self.push(json!({
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": EXTENSION_ID,
            "created_by_ref": PROJECT_IDENTITY,
            "created": EPOCH,
            "modified": EPOCH,
            "name": ja("stix.extension_name", &[]),
            "description": ja("stix.extension_description", &[]),
            "schema": ja("stix.extension_schema", &[]),
            "version": "1.0.0",
            "extension_types": ["property-extension"],
        }));
        let mut ext = json!({ "extension_type": "property-extension" });
        if let (Some(e), Some(p)) = (ext.as_object_mut(), props.as_object()) {
            e.extend(p.clone());
        }
        json!({ EXTENSION_ID: ext })
    }

    /// The id of a cyber-observable object as STIX 2.1 derives it from its contributing
    /// properties (canonical JSON).
    pub fn sco_id(kind: &str, contributing: &Value) -> String {
        // serde_json's map is ordered by key, and writes no whitespace: the canonical form of
        // these ASCII-keyed values.
        let text = contributing.to_string();
        format!("{kind}--{}", Uuid::new_v5(&SCO_NAMESPACE, text.as_bytes()))
    }

    /// A `vulnerability` for each CVE id, referenced by the item that names it.
    pub fn vulnerabilities(&mut self, cves: &[String], markings: &[String]) -> Vec<Value> {
        let mut refs = Vec::new();
        for cve in cves {
            let id = self.id("vulnerability", cve);
            self.push(json!({
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": id,
                "created": EPOCH,
                "modified": EPOCH,
                "name": cve,
                "external_references": [{ "source_name": "cve", "external_id": cve }],
                "object_marking_refs": markings,
            }));
            refs.push(json!(id));
        }
        refs
    }

    pub fn into_vec(self) -> Vec<Value> {
        self.list
    }
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The objects as a bundle; its id derives from what it holds.
pub fn bundle(objects: Vec<Value>) -> Value {
    let mut key = String::new();
    for o in &objects {
        key.push_str(o["id"].as_str().unwrap_or_default());
        key.push_str(o["modified"].as_str().unwrap_or_default());
    }
    let mut b = json!({
        "type": "bundle",
        "id": format!("bundle--{}", derived_v4(&KYOYU_NAMESPACE, &key)),
    });
    // STIX: a bundle's `objects`, when present, holds at least one.
    if !objects.is_empty() {
        b["objects"] = json!(objects);
    }
    b
}

/// The Amber audience as a statement: kyoyu's Amber is the sectors directly concerned and the
/// parties added by name, wider than TLP 2.0's "the recipient's organisation".
fn amber_statement(sector_names: &[String], parties: &[String]) -> String {
    ja(
        "stix.amber_statement",
        &[
            ("sectors", &kyoyu_domain::messages::join_codes(sector_names)),
            ("parties", &kyoyu_domain::messages::join_codes(parties)),
        ],
    )
}

/// The statements of an item: the Amber audience, and the 特記事項 when there is one.
fn statements(tlp: Tlp, sector_names: &[String], parties: &[String], note: &str) -> Vec<String> {
    let mut out = Vec::new();
    if tlp == Tlp::Amber {
        out.push(amber_statement(sector_names, parties));
    }
    if !note.trim().is_empty() {
        out.push(ja("stix.note_statement", &[("note", note.trim())]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sco_ids_are_the_ones_the_stix2_library_derives() {
        // The values the OASIS `stix2` library (3.0.2) gives the same observables.
        for (kind, props, id) in [
            (
                "ipv4-addr",
                json!({"value": "198.51.100.3"}),
                "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
            ),
            (
                "domain-name",
                json!({"value": "example.com"}),
                "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7",
            ),
            (
                "url",
                json!({"value": "http://example.com/a"}),
                "url--90a682b4-db61-5016-9aaa-eb700579af05",
            ),
            (
                "file",
                json!({"hashes": {"SHA-256": "a".repeat(64)}}),
                "file--75cb38d5-2055-5354-b75a-8299a2d670b5",
            ),
        ] {
            assert_eq!(Objects::sco_id(kind, &props), id);
        }
    }

    #[test]
    fn two_installations_never_share_an_id() {
        let one = Objects::new("aaaa").id("incident", "report:1");
        let two = Objects::new("bbbb").id("incident", "report:1");
        assert_ne!(one, two);
        assert_eq!(one, Objects::new("aaaa").id("incident", "report:1"));
    }

    #[test]
    fn every_tlp_has_its_official_marking_and_back() {
        for t in [Tlp::Red, Tlp::Amber, Tlp::Green, Tlp::White] {
            assert_eq!(tlp_of_marking(tlp_marking_id(t)), Some(t));
        }
        assert_eq!(
            tlp_of_marking("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"),
            Some(Tlp::Green)
        );
    }

    #[test]
    fn the_extension_schema_lists_every_code_the_forms_take() {
        use kyoyu_domain::{
            AdvisoryBasis, Cause, EventClass, Outlook, PressState, ReportBasis, Severity,
            SystemStatus,
        };
        let schema: Value = serde_json::from_str(EXTENSION_SCHEMA).unwrap();
        let defs = &schema["$defs"];
        let listed = |path: &[&str]| -> Vec<String> {
            let mut v = defs;
            for p in path {
                v = &v[*p];
            }
            let e = if v["enum"].is_array() {
                &v["enum"]
            } else {
                &v["items"]["enum"]
            };
            e.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        };
        fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str) -> Vec<String> {
            all.iter().map(|c| code(*c).to_owned()).collect()
        }
        let r = ["report_form", "properties"];
        let at = |tail: &[&'static str]| [&r[..], tail].concat();
        assert_eq!(listed(&at(&["tlp"])), codes(Tlp::ALL, Tlp::code));
        assert_eq!(
            listed(&at(&["severity"])),
            codes(Severity::ALL, Severity::code)
        );
        assert_eq!(
            listed(&at(&["event"])),
            codes(EventClass::ALL, EventClass::code)
        );
        assert_eq!(listed(&at(&["causes"])), codes(Cause::ALL, Cause::code));
        assert_eq!(
            listed(&at(&["outlook"])),
            codes(Outlook::ALL, Outlook::code)
        );
        assert_eq!(
            listed(&at(&["basis"])),
            codes(ReportBasis::ALL, ReportBasis::code)
        );
        assert_eq!(
            listed(&at(&["impact", "properties", "system_status"])),
            codes(SystemStatus::ALL, SystemStatus::code)
        );
        assert_eq!(
            listed(&at(&["external", "properties", "press"])),
            codes(PressState::ALL, PressState::code)
        );
        assert_eq!(
            listed(&["advisory_form", "properties", "basis"]),
            codes(AdvisoryBasis::ALL, AdvisoryBasis::code)
        );
        assert_eq!(
            schema["properties"]["extensions"]["required"][0], EXTENSION_ID,
            "the schema is the one of kyoyu's extension"
        );
    }

    #[test]
    fn stix_times_are_utc_milliseconds() {
        assert_eq!(
            stix_time("2026-04-01T09:30:00.123456+09:00"),
            "2026-04-01T00:30:00.123Z"
        );
    }
}
