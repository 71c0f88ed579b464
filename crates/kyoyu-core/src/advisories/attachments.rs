//! Attachments of an advisory (別紙・検体): NISC attaches; whoever may see the advisory may
//! download — a sample only inside a password-protected zip. File names are read by the lint.

use kyoyu_domain::policy::Actor;
use kyoyu_domain::policy::distribution::may_attach;
use kyoyu_domain::{AdvisoryId, AttachmentId};

use super::AttachmentInfo;
use crate::auth::Session;
use crate::reports::{Download, Upload, download_file};
use crate::{Core, CoreError, Result};

impl Core {
    /// NISC attaches a document or a sample (別紙) to an advisory.
    pub async fn add_advisory_attachment(
        &self,
        s: &Session,
        id: AdvisoryId,
        up: Upload<'_>,
    ) -> Result<AttachmentInfo> {
        let new = up.check()?;
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let permit = may_attach(&s.actor, &rec)?;
        let at = self.now_ts();
        let aid = tx
            .add_advisory_attachment(&permit, &new, up.bytes, &at)
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "advisory_attachment_added",
            format!("advisory:{id}"),
            serde_json::json!({ "attachment": aid, "sha256": new.sha256 }),
        )
        .await?;
        tx.commit().await?;
        Ok(AttachmentInfo {
            id: aid,
            kind: new.kind.code().to_owned(),
            file_name: new.file_name,
            content_type: new.content_type,
            size: new.size,
            sha256: new.sha256,
            sha1: new.sha1,
            md5: new.md5,
            at,
        })
    }

    /// Downloads an advisory attachment the caller may see (samples only as a zip).
    pub async fn download_advisory_attachment(
        &self,
        actor: &Actor,
        id: AdvisoryId,
        aid: AttachmentId,
        sample_password: &str,
    ) -> Result<Download> {
        let (a, bytes) = {
            let mut tx = self.store.read().await?;
            let mut scoped = tx.scoped(actor);
            let rec = scoped.advisory(id).await?;
            let bytes = scoped.advisory_attachment(&rec, aid).await?;
            let a = rec
                .get()
                .attachments
                .iter()
                .find(|a| a.id == aid)
                .cloned()
                .ok_or_else(CoreError::not_found)?;
            (a, bytes)
        };
        self.audit_read(
            actor,
            "advisory_attachment_downloaded",
            format!("advisory:{id}"),
            serde_json::json!({ "attachment": aid }),
        )
        .await;
        download_file(
            a.kind,
            &a.file_name,
            &a.content_type,
            bytes,
            sample_password,
        )
    }
}
