//! Receipt (受領) and handling (対応) of an advisory by each organisation it was delivered to.

use kyoyu_domain::AdvisoryId;
use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::distribution::may_acknowledge;
use kyoyu_store::Ack;

use super::AdvisoryView;
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    /// 受領 (`received`) or 対応 (`handled`, with a note) by the caller's organisation.
    pub async fn acknowledge_advisory(
        &self,
        s: &Session,
        id: AdvisoryId,
        state: &str,
        note: &str,
    ) -> Result<AdvisoryView> {
        let ack = match state {
            "received" => Ack::Received,
            "handled" => Ack::Handled(note.trim().to_owned()),
            _ => return Err(CoreError::invalid("state", Msg::new("invalid.ack_state"))),
        };
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let permit = may_acknowledge(&s.actor, &rec)?;
        tx.acknowledge(&permit, &ack, &self.now_ts()).await?;
        self.audit(
            &mut tx,
            &s.actor,
            &format!("advisory_{state}"),
            format!("advisory:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.advisory_after(&s.actor, id).await
    }
}
