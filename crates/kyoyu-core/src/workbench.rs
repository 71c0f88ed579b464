//! What waits for the caller (seed 000 図3/図4/図6 seen from one desk): reports to forward,
//! follow-ups awaited, scope requests to decide, advisories to acknowledge or handle. Every count
//! is the length of a list the caller already reads through the scoped reader — the workbench
//! adds no query of its own, so it can show nothing the lists would not.

use serde::Serialize;

use crate::advisories::AdvisoryFilter;
use crate::reports::InboxBox;
use crate::{Core, Result, Session};

/// How many items of a list are counted; past it the count reads "100+".
pub const COUNTED: u32 = 100;

/// A follow-up awaited longer than this is overdue on the workbench.
pub const FOLLOW_UP_OVERDUE_HOURS: i64 = 24;

/// A count of a list, up to [`COUNTED`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub count: usize,
    /// More than `count` wait (the list goes on).
    pub more: bool,
}

impl Tally {
    fn of<T>(items: &[T], more: bool) -> Tally {
        Tally {
            count: items.len(),
            more,
        }
    }

    fn counted(count: usize) -> Tally {
        Tally { count, more: false }
    }

    pub fn is_zero(&self) -> bool {
        self.count == 0 && !self.more
    }
}

/// What waits for the caller's organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workbench {
    /// Reports received and not yet forwarded (受信箱「転送待ち」).
    pub to_forward: Tally,
    /// Threads whose latest edition promises a 続報 the caller watches.
    pub follow_ups: Tally,
    /// Of those, awaited longer than a day.
    pub follow_ups_overdue: Tally,
    /// Requests to widen an advisory's scope addressed to the caller, undecided.
    pub scope_requests: Tally,
    /// Advisories delivered to the caller without 受領 (among the latest counted).
    pub to_acknowledge: Tally,
    /// Advisories received but not yet 対応済み (among the latest counted).
    pub to_handle: Tally,
}

impl Workbench {
    /// The sum shown as the inbox badge and the advisories badge.
    pub fn waiting(&self) -> usize {
        self.to_forward.count + self.scope_requests.count + self.to_acknowledge.count
    }
}

impl Core {
    /// What waits for the caller; an organisation-less caller has nothing waiting.
    pub async fn workbench(&self, s: &Session) -> Result<Workbench> {
        if s.org_id.is_none() {
            return Ok(Workbench::default());
        }
        let forward = self
            .inbox(s, InboxBox::ToForward, None, Some(COUNTED))
            .await?;
        let follow = self.follow_ups(s, None, Some(COUNTED)).await?;
        let now = self.now();
        let overdue = follow
            .items
            .iter()
            .filter(|r| {
                r.waiting_since
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| {
                        now.signed_duration_since(t)
                            > chrono::Duration::hours(FOLLOW_UP_OVERDUE_HOURS)
                    })
            })
            .count();
        let requests = self.scope_requests(s).await?;
        let pending = requests.iter().filter(|r| r.state == "pending").count();
        let delivered = self
            .list_advisories(
                &s.actor,
                &AdvisoryFilter {
                    delivered: true,
                    published: Some(true),
                    limit: Some(COUNTED),
                    ..AdvisoryFilter::default()
                },
            )
            .await?;
        let unacknowledged = delivered
            .items
            .iter()
            .filter(|a| a.my_received_at.is_none())
            .count();
        let unhandled = delivered
            .items
            .iter()
            .filter(|a| a.my_received_at.is_some() && a.my_handled_at.is_none())
            .count();
        Ok(Workbench {
            to_forward: Tally::of(&forward.items, forward.next_cursor.is_some()),
            follow_ups: Tally::of(&follow.items, follow.next_cursor.is_some()),
            follow_ups_overdue: Tally::counted(overdue),
            scope_requests: Tally::counted(pending),
            to_acknowledge: Tally::counted(unacknowledged),
            to_handle: Tally::counted(unhandled),
        })
    }
}
