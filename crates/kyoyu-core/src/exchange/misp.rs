//! A MISP feed of the published advisories a caller may see: `manifest.json`, one event per
//! advisory, `hashes.csv` — the format MISP subscribes to (and PyMISP's `to_feed` writes). The
//! TLP is a `tlp:` tag and the event's distribution; the indicators, CVEs and texts are
//! attributes. Event and attribute UUIDs are the ones the STIX export uses, so the same
//! advisory is one item in MISP however it arrives.

use chrono::{DateTime, Utc};
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::wareki::jst;
use kyoyu_domain::{ErrorCode, Severity, Tlp};
use kyoyu_store::FeedCursor;
use md5::Digest as _;
use serde_json::{Value, json};

use super::stix::{Objects, Observable, cves_in, observables_in};
use crate::advisories::AdvisoryView;
use crate::{Core, Result};

/// The whole feed for one caller.
#[derive(Debug, Clone)]
pub struct MispFeed {
    /// `manifest.json`: event UUID → summary.
    pub manifest: Value,
    /// Each event as its `<uuid>.json` holds it (`{"Event": …}`).
    pub events: Vec<(String, Value)>,
    /// `hashes.csv`: MD5 of each attribute value, and the event's UUID.
    pub hashes: Vec<(String, String)>,
}

impl MispFeed {
    pub fn event(&self, uuid: &str) -> Option<&Value> {
        self.events.iter().find(|(u, _)| u == uuid).map(|(_, e)| e)
    }

    pub fn hashes_csv(&self) -> String {
        self.hashes
            .iter()
            .map(|(h, u)| format!("{h},{u}\n"))
            .collect()
    }
}

/// MISP's distribution for a TLP: Red stays with the organisation, Amber in this community,
/// Green in connected communities, White with all.
fn distribution(tlp: Tlp) -> u8 {
    match tlp {
        Tlp::Red => 0,
        Tlp::Amber => 1,
        Tlp::Green => 2,
        Tlp::White => 3,
    }
}

/// The tag of MISP's `tlp` taxonomy, with its colour.
fn tlp_tag(tlp: Tlp) -> Value {
    let (name, colour) = match tlp {
        Tlp::Red => ("tlp:red", "#CC0033"),
        Tlp::Amber => ("tlp:amber", "#FFC000"),
        Tlp::Green => ("tlp:green", "#339900"),
        Tlp::White => ("tlp:clear", "#ffffff"),
    };
    tag(name, colour)
}

/// A tag as MISP's feeds write it (global, no relationship).
fn tag(name: &str, colour: &str) -> Value {
    json!({ "name": name, "colour": colour, "local": false, "relationship_type": "" })
}

fn threat_level(s: Option<Severity>) -> u8 {
    match s {
        Some(Severity::Alert) => 1,
        Some(Severity::Warning) => 2,
        Some(Severity::Reference) => 3,
        None => 4,
    }
}

fn uuid_of(stix_id: &str) -> String {
    stix_id
        .rsplit_once("--")
        .map(|(_, u)| u.to_owned())
        .unwrap_or_default()
}

fn md5_hex(v: &str) -> String {
    hex::encode(md5::Md5::digest(v.as_bytes()))
}

/// One advisory as a MISP event, with the MD5 of each attribute value.
fn event(o: &Objects, a: &AdvisoryView) -> Option<(String, Value, Value, Vec<String>)> {
    let published: DateTime<Utc> = DateTime::parse_from_rfc3339(a.published_at.as_deref()?)
        .ok()?
        .with_timezone(&Utc);
    let stamp = published.timestamp();
    let uuid = uuid_of(&o.id("report", &format!("advisory:{}", a.id)));
    let form = &a.form;
    let texts: Vec<&str> = [
        &form.overview,
        &form.target,
        &form.countermeasures,
        &form.other,
    ]
    .into_iter()
    .map(String::as_str)
    .collect();
    let mut attributes = Vec::new();
    let mut attribute = |kind: &str, category: &str, value: &str, to_ids: bool, comment: &str| {
        attributes.push(json!({
            "uuid": uuid_of(&o.id("misp-attribute", &format!("advisory:{}:{kind}:{value}", a.id))),
            "type": kind,
            "category": category,
            "value": value,
            "to_ids": to_ids,
            "comment": comment,
            "timestamp": stamp.to_string(),
            // Inherit the event's.
            "distribution": 5,
        }));
    };
    for ob in observables_in(texts.iter().copied()) {
        match &ob {
            Observable::Ipv4(v) => attribute("ip-dst", "Network activity", v, true, ""),
            Observable::Domain(v) => attribute("domain", "Network activity", v, true, ""),
            Observable::Url(v) => attribute("url", "Network activity", v, true, ""),
            Observable::Hash(algo, v) => {
                let kind = match *algo {
                    "SHA-256" => "sha256",
                    "SHA-1" => "sha1",
                    _ => "md5",
                };
                attribute(kind, "Payload delivery", v, true, "");
            }
        }
    }
    for cve in cves_in(texts.iter().copied()) {
        attribute("vulnerability", "External analysis", &cve, false, "");
    }
    for (label, text) in [
        ("advisory_field.overview", &form.overview),
        ("advisory_field.countermeasures", &form.countermeasures),
    ] {
        if !text.trim().is_empty() {
            attribute("text", "Other", text, false, &ja(label, &[]));
        }
    }
    let hashes: Vec<String> = attributes
        .iter()
        .map(|x| md5_hex(x["value"].as_str().unwrap_or_default()))
        .collect();
    let orgc = json!({
        "name": ja("stix.nisc_name", &[]),
        "uuid": uuid_of(&o.id("identity", "role:nisc")),
    });
    let mut tags = vec![tlp_tag(a.tlp)];
    if let Some(n) = &a.number {
        tags.push(tag(&format!("kyoyu:number=\"{n}\""), "#1f4e79"));
    }
    for s in form.sectors() {
        tags.push(tag(&format!("kyoyu:sector=\"{s}\""), "#1f4e79"));
    }
    let date = published
        .with_timezone(&jst())
        .format("%Y-%m-%d")
        .to_string();
    let manifest = json!({
        "Orgc": orgc,
        "Tag": tags,
        "info": a.title,
        "date": date,
        "analysis": 2,
        "threat_level_id": threat_level(form.severity),
        "timestamp": stamp,
    });
    let event = json!({ "Event": {
        "uuid": uuid,
        "info": a.title,
        "date": date,
        "analysis": 2,
        "threat_level_id": threat_level(form.severity),
        "timestamp": stamp,
        "publish_timestamp": stamp,
        "published": true,
        "distribution": distribution(a.tlp),
        "Orgc": orgc,
        "Tag": tags,
        "Attribute": attributes,
    }});
    Some((uuid, manifest, event, hashes))
}

impl Core {
    /// The MISP feed of the published advisories `actor` may see (anonymous: the White ones).
    pub async fn misp_feed(&self, actor: &Actor) -> Result<MispFeed> {
        let o = self.stix_objects();
        let mut feed = MispFeed {
            manifest: json!({}),
            events: Vec::new(),
            hashes: Vec::new(),
        };
        let mut from = FeedCursor {
            after: None,
            row: i64::MAX,
        };
        loop {
            let items = {
                let mut tx = self.store.read().await?;
                tx.scoped(actor).advisory_feed(&from, 200).await?
            };
            let Some(last) = items.last() else {
                return Ok(feed);
            };
            from = FeedCursor {
                after: Some(last.changed_at.clone()),
                row: last.row,
            };
            for item in items {
                let view = match self.get_advisory(actor, item.id).await {
                    Ok(v) => v,
                    Err(e) if e.code == ErrorCode::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let Some((uuid, entry, event, hashes)) = event(&o, &view) else {
                    continue;
                };
                feed.manifest[&uuid] = entry;
                feed.hashes
                    .extend(hashes.into_iter().map(|h| (h, uuid.clone())));
                feed.events.push((uuid, event));
            }
        }
    }
}
