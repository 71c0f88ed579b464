//! The TAXII 2.1 collections: reports and advisories for signed-in callers, and a public
//! TLP:CLEAR collection read as an anonymous caller whoever asks. A collection holds, per
//! caller, the STIX objects of the items the scoped reader answers, in the order the caller's
//! view of them last changed; that time is each object's `date_added`, so a client polling
//! with `added_after` receives every item that changed since, whole. kyoyu keeps the version
//! of each object in force (TAXII lets a server keep fewer versions than were made).

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ErrorCode, ReportId};
use kyoyu_store::{FeedCursor, FeedItem};
use serde_json::Value;

use super::stix::{advisory_objects, report_objects};
use crate::{Core, CoreError, Result};

/// A TAXII collection of this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Reports,
    Advisories,
    Public,
}

impl Collection {
    pub const ALL: [Collection; 3] = [
        Collection::Reports,
        Collection::Advisories,
        Collection::Public,
    ];

    pub const fn id(self) -> &'static str {
        match self {
            Collection::Reports => "2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e",
            Collection::Advisories => "7c1e9a2b-3d4f-4a5b-8c6d-9e0f1a2b3c4d",
            Collection::Public => "4e8d2c1b-6a5f-4b3c-9d2e-7f1a0b9c8d7e",
        }
    }

    pub fn from_id(id: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Catalogue key of its title (`taxii.collection_<code>`) and description.
    pub const fn code(self) -> &'static str {
        match self {
            Collection::Reports => "reports",
            Collection::Advisories => "advisories",
            Collection::Public => "public",
        }
    }

    /// Whether `actor` may read it: the public one anyone, the others a signed-in caller.
    pub fn readable_by(self, actor: &Actor) -> bool {
        self == Collection::Public || matches!(actor, Actor::User(_))
    }
}

/// `match[version]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VersionFilter {
    #[default]
    Last,
    First,
    All,
    /// Versions by their timestamps.
    At(Vec<String>),
}

/// What a TAXII client asks of a collection's objects.
#[derive(Debug, Clone, Default)]
pub struct ObjectQuery {
    /// Only items changed after this time.
    pub added_after: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: usize,
    /// The `next` of the previous page.
    pub next: Option<String>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    pub version: VersionFilter,
}

/// One object of a collection, as the envelope and the manifest show it.
#[derive(Debug, Clone)]
pub struct FeedObject {
    pub object: Value,
    pub date_added: String,
    pub version: String,
}

#[derive(Debug, Clone)]
pub struct ObjectPage {
    pub objects: Vec<FeedObject>,
    /// Where the following page starts, when there is more.
    pub next: Option<String>,
}

/// Where a page starts: at the item changed at `changed` in `row`, after its first `skip`
/// objects. Written `changed~row~skip`.
struct Resume {
    changed: String,
    row: i64,
    skip: usize,
}

impl Resume {
    fn parse(text: &str) -> Option<Resume> {
        let mut parts = text.split('~');
        let changed = parts.next()?.to_owned();
        chrono::DateTime::parse_from_rfc3339(&changed).ok()?;
        let row = parts.next()?.parse().ok()?;
        let skip = parts.next()?.parse().ok()?;
        parts
            .next()
            .is_none()
            .then_some(Resume { changed, row, skip })
    }

    fn text(&self) -> String {
        format!("{}~{}~{}", self.changed, self.row, self.skip)
    }
}

/// The version of an object: `modified`, else `created`, else when it was added.
fn version_of(obj: &Value, date_added: &str) -> String {
    obj["modified"]
        .as_str()
        .or(obj["created"].as_str())
        .unwrap_or(date_added)
        .to_owned()
}

impl ObjectQuery {
    fn admits(&self, obj: &Value, version: &str) -> bool {
        let field = |k: &str| obj[k].as_str().unwrap_or_default().to_owned();
        (self.ids.is_empty() || self.ids.contains(&field("id")))
            && (self.types.is_empty() || self.types.contains(&field("type")))
            && (self.spec_versions.is_empty() || self.spec_versions.iter().any(|v| v == "2.1"))
            && match &self.version {
                VersionFilter::At(times) => times.iter().any(|t| same_time(t, version)),
                _ => true,
            }
    }
}

/// Two timestamps that name the same instant, however precisely written.
fn same_time(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The items a collection pages through.
enum Items {
    Reports(Vec<FeedItem<ReportId>>),
    Advisories(Vec<FeedItem<AdvisoryId>>),
}

impl Core {
    /// The collections `actor` may read.
    pub fn taxii_collections(&self, actor: &Actor) -> Vec<Collection> {
        Collection::ALL
            .into_iter()
            .filter(|c| c.readable_by(actor))
            .collect()
    }

    async fn feed_items(
        &self,
        actor: &Actor,
        c: Collection,
        from: &FeedCursor,
        limit: u32,
    ) -> Result<Items> {
        let mut tx = self.store.read().await?;
        let mut r = tx.scoped(actor);
        Ok(match c {
            Collection::Reports => Items::Reports(r.report_feed(from, limit).await?),
            Collection::Advisories | Collection::Public => {
                Items::Advisories(r.advisory_feed(from, limit).await?)
            }
        })
    }

    /// The objects of one item as `actor` sees it now (none when it no longer may).
    async fn item_objects(
        &self,
        actor: &Actor,
        report: Option<ReportId>,
        advisory: Option<AdvisoryId>,
    ) -> Result<Vec<Value>> {
        let mut o = self.stix_objects();
        let read = match (report, advisory) {
            (Some(id), _) => match self.get_report(actor, id).await {
                Ok(t) => report_objects(&mut o, &t, &self.reference()),
                Err(e) if e.code == ErrorCode::NotFound => false,
                Err(e) => return Err(e),
            },
            (None, Some(id)) => match self.get_advisory(actor, id).await {
                Ok(a) => advisory_objects(&mut o, &a, &self.reference()),
                Err(e) if e.code == ErrorCode::NotFound => false,
                Err(e) => return Err(e),
            },
            (None, None) => false,
        };
        Ok(if read { o.into_vec() } else { Vec::new() })
    }

    /// A page of a collection's objects for `actor`; `next` is an `invalid_field` when it is
    /// not one this server gave.
    pub async fn taxii_objects(
        &self,
        actor: &Actor,
        c: Collection,
        q: &ObjectQuery,
    ) -> Result<ObjectPage> {
        if !c.readable_by(actor) {
            return Err(CoreError::not_found());
        }
        let reader = match c {
            Collection::Public => Actor::Anonymous,
            _ => actor.clone(),
        };
        let limit = q.limit.clamp(1, 1000);
        let mut resume = match &q.next {
            Some(n) => Some(Resume::parse(n).ok_or_else(|| {
                CoreError::invalid("next", kyoyu_domain::messages::Msg::new("taxii.bad_next"))
            })?),
            None => None,
        };
        let mut from = match &resume {
            Some(r) => FeedCursor {
                after: Some(r.changed.clone()),
                row: r.row - 1,
            },
            None => FeedCursor {
                after: q.added_after.map(kyoyu_store::ts),
                row: i64::MAX,
            },
        };
        let mut out: Vec<FeedObject> = Vec::new();
        // Identities and markings recur in every item: a page holds each version once.
        let mut on_page = std::collections::BTreeSet::new();
        loop {
            let batch = self.feed_items(&reader, c, &from, 50).await?;
            let keys: Vec<(Option<ReportId>, Option<AdvisoryId>, String, i64)> = match batch {
                Items::Reports(v) => v
                    .into_iter()
                    .map(|i| (Some(i.id), None, i.changed_at, i.row))
                    .collect(),
                Items::Advisories(v) => v
                    .into_iter()
                    .map(|i| (None, Some(i.id), i.changed_at, i.row))
                    .collect(),
            };
            if keys.is_empty() {
                return Ok(ObjectPage {
                    objects: out,
                    next: None,
                });
            }
            for (report, advisory, changed, row) in keys {
                let skip = match resume.take() {
                    Some(r) if r.row == row && r.changed == changed => r.skip,
                    _ => 0,
                };
                let objects = self.item_objects(&reader, report, advisory).await?;
                for (n, obj) in objects.into_iter().enumerate().skip(skip) {
                    let version = version_of(&obj, &changed);
                    let key = (
                        obj["id"].as_str().unwrap_or_default().to_owned(),
                        version.clone(),
                    );
                    if !q.admits(&obj, &version) || on_page.contains(&key) {
                        continue;
                    }
                    if out.len() == limit {
                        let next = Resume {
                            changed: changed.clone(),
                            row,
                            skip: n,
                        };
                        return Ok(ObjectPage {
                            objects: out,
                            next: Some(next.text()),
                        });
                    }
                    on_page.insert(key);
                    out.push(FeedObject {
                        object: obj,
                        date_added: changed.clone(),
                        version,
                    });
                }
                from = FeedCursor {
                    after: Some(changed),
                    row,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_point_reads_back_and_nothing_else_does() {
        let r = Resume {
            changed: "2026-04-01T00:00:00.000000Z".into(),
            row: 9,
            skip: 3,
        };
        let back = Resume::parse(&r.text()).unwrap();
        assert_eq!((back.changed, back.row, back.skip), (r.changed, 9, 3));
        for bad in [
            "",
            "x~1~2",
            "2026-04-01T00:00:00Z~a~2",
            "2026-04-01T00:00:00Z~1~2~3",
        ] {
            assert!(Resume::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn versions_match_however_precisely_written() {
        assert!(same_time(
            "2026-04-01T00:00:00Z",
            "2026-04-01T00:00:00.000Z"
        ));
        assert!(!same_time("2026-04-01T00:00:00Z", "2026-04-01T00:00:01Z"));
    }
}
