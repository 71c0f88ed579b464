//! In-app notifications (通知): one row per organisation and event, naming the item. Listing
//! them goes through the scoped reader, so a notification about an item the caller may no
//! longer see is not shown.

use kyoyu_domain::{ItemId, OrgId};

use crate::read_model::insert::insert_rows;
use crate::sql::Arg;
use crate::{Result, Tx};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub item_id: Option<ItemId>,
    pub message: String,
    pub created_at: String,
}

impl Tx {
    /// The same notification to many organisations, with few statements.
    pub async fn add_notifications(
        &mut self,
        orgs: &[OrgId],
        kind: &str,
        item: Option<ItemId>,
        message: &str,
        at: &str,
    ) -> Result<()> {
        let rows: Vec<Vec<Arg>> = orgs
            .iter()
            .map(|o| {
                vec![
                    Arg::I64(o.0),
                    Arg::Text(kind.to_owned()),
                    item.map_or(Arg::NullI64, |i| Arg::I64(i.0)),
                    Arg::Text(message.to_owned()),
                    Arg::Text(at.to_owned()),
                ]
            })
            .collect();
        insert_rows(
            self,
            "notifications",
            &["org_id", "kind", "item_id", "message", "created_at"],
            &rows,
        )
        .await
    }
}
