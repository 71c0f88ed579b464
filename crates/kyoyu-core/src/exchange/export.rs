//! One item as a STIX bundle, for its page's download and `kyoyu export stix`: read as the
//! caller may (404 otherwise), recorded in the audit log like the other exports.

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId};
use serde_json::Value;

use super::stix::{Objects, advisory_objects, bundle, report_objects};
use super::taxii::{Collection, ObjectQuery};
use crate::reports::Download;
use crate::{Core, CoreError, Result};

/// A bundle as a file: `R1-2.stix.json` after the number of its newest report, else `fallback`.
pub fn stix_file(bundle: &Value, fallback: &str) -> Download {
    let name = bundle["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .filter(|o| o["type"] == "report")
        .find_map(|o| o["external_references"][0]["external_id"].as_str())
        .unwrap_or(fallback);
    Download {
        file_name: format!("{name}.stix.json"),
        content_type: super::stix::MEDIA_TYPE.to_owned(),
        bytes: bundle.to_string().into_bytes(),
        zipped: false,
    }
}

impl Core {
    /// The STIX objects of this installation (ids derive from its key).
    pub(crate) fn stix_objects(&self) -> Objects {
        Objects::new(&self.installation)
    }

    /// A report thread as the caller sees it, as a STIX 2.1 bundle of its sent editions.
    pub async fn report_stix(&self, actor: &Actor, id: ReportId) -> Result<Value> {
        let thread = self.get_report(actor, id).await?;
        let mut o = self.stix_objects();
        if !report_objects(&mut o, &thread, &self.reference()) {
            return Err(CoreError::not_found());
        }
        self.record_export(actor, "report", id.0, thread.tlp, "stix")
            .await;
        Ok(bundle(o.into_vec()))
    }

    /// A published advisory as the caller sees it, as a STIX 2.1 bundle.
    pub async fn advisory_stix(&self, actor: &Actor, id: AdvisoryId) -> Result<Value> {
        let view = self.get_advisory(actor, id).await?;
        let mut o = self.stix_objects();
        if !advisory_objects(&mut o, &view, &self.reference()) {
            return Err(CoreError::not_found());
        }
        self.record_export(actor, "advisory", id.0, view.tlp, "stix")
            .await;
        Ok(bundle(o.into_vec()))
    }

    /// Every sent report thread and published advisory the caller may see, as one bundle
    /// (each object version once), read page by page as the TAXII collections serve them.
    pub async fn everything_stix(&self, actor: &Actor) -> Result<Value> {
        let mut objects = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in [Collection::Reports, Collection::Advisories] {
            let mut q = ObjectQuery {
                limit: 1000,
                ..ObjectQuery::default()
            };
            loop {
                let page = self.taxii_objects(actor, c, &q).await?;
                for o in page.objects {
                    let key = (
                        o.object["id"].as_str().unwrap_or_default().to_owned(),
                        o.version,
                    );
                    if seen.insert(key) {
                        objects.push(o.object);
                    }
                }
                match page.next {
                    Some(n) => q.next = Some(n),
                    None => break,
                }
            }
        }
        Ok(bundle(objects))
    }
}
