//! In-app notifications (通知): one row per organisation and event, naming the item. Listing
//! them goes through the scoped reader, so a notification about an item the caller may no
//! longer see is not shown.

use kyoyu_domain::ItemId;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub item_id: Option<ItemId>,
    pub message: String,
    pub created_at: String,
}
