//! Saved searches (検索条件の保存) that notify: a user keeps a search; every few minutes the
//! server runs it again *as that user* — through the same scoped search, so within the scope
//! the user has at that moment — and, when it finds items it had not found before, sends the
//! user one e-mail through the outbox naming the search and how many are new (never their
//! content). The first run only records what exists already.

use kyoyu_domain::messages::{Msg, ja};
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryBasis, Cause, EventClass, Severity, Tlp};
use kyoyu_store::SavedSearchRow;
use serde::{Deserialize, Serialize};

use super::{SearchFilters, SearchKind, SearchRequest};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

/// The most hits a check looks at (the newest); a search finding more is too broad to watch.
const CHECK_HITS: u32 = 500;
/// The most saved searches one user keeps.
const MAX_PER_USER: usize = 50;

/// A search as saved: its query and conditions as codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    pub q: Option<String>,
    pub kind: String,
    pub sector: Option<String>,
    pub tlp: Option<String>,
    pub severity: Option<String>,
    pub event: Option<String>,
    pub cause: Option<String>,
    pub basis: Option<String>,
    pub state: Option<String>,
    pub fiscal_year: Option<i32>,
}

impl SavedQuery {
    pub fn of(r: &SearchRequest) -> SavedQuery {
        let f = &r.filters;
        SavedQuery {
            q: r.q.clone().filter(|q| !q.trim().is_empty()),
            kind: r.kind.code().to_owned(),
            sector: f.sector.clone(),
            tlp: f.tlp.map(|t| t.code().to_owned()),
            severity: f.severity.map(|s| s.code().to_owned()),
            event: f.event.map(|e| e.code().to_owned()),
            cause: f.cause.map(|c| c.code().to_owned()),
            basis: f.basis.map(|b| b.code().to_owned()),
            state: f.state.clone(),
            fiscal_year: f.fiscal_year,
        }
    }

    /// The search again (codes that no longer exist are dropped).
    pub fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            kind: SearchKind::from_code(&self.kind).unwrap_or_default(),
            filters: SearchFilters {
                sector: self.sector.clone(),
                tlp: self.tlp.as_deref().and_then(Tlp::from_code),
                severity: self.severity.as_deref().and_then(Severity::from_code),
                event: self.event.as_deref().and_then(EventClass::from_code),
                cause: self.cause.as_deref().and_then(Cause::from_code),
                basis: self.basis.as_deref().and_then(AdvisoryBasis::from_code),
                state: self.state.clone(),
                fiscal_year: self.fiscal_year,
            },
            page: None,
            per_page: None,
        }
    }

    /// The conditions as `(parameter, value)` pairs of the search page.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let opt = [
            ("q", &self.q),
            ("sector", &self.sector),
            ("tlp", &self.tlp),
            ("severity", &self.severity),
            ("event", &self.event),
            ("cause", &self.cause),
            ("basis", &self.basis),
            ("state", &self.state),
        ];
        out.push(("kind", self.kind.clone()));
        for (k, v) in opt {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        }
        if let Some(y) = self.fiscal_year {
            out.push(("fiscal_year", y.to_string()));
        }
        out
    }
}

/// A saved search as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub query: SavedQuery,
    pub created_at: String,
    pub checked_at: Option<String>,
    /// Items found since the owner last opened it.
    pub new_hits: u64,
}

fn shown(r: SavedSearchRow) -> SavedSearch {
    SavedSearch {
        query: serde_json::from_str(&r.params).unwrap_or_default(),
        id: r.id,
        name: r.name,
        created_at: r.created_at,
        checked_at: r.checked_at,
        new_hits: r.unseen,
    }
}

impl Core {
    /// Keeps a search for the caller under `name`.
    pub async fn save_search(&self, s: &Session, name: &str, r: &SearchRequest) -> Result<i64> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid("name", Msg::new("search.saved_name")));
        }
        // The query must parse now, not at every check.
        let text = self.text_query("q", r.q.as_deref()).await?;
        if text.is_none() && SavedQuery::of(r) == SavedQuery::of(&SearchRequest::default()) {
            return Err(CoreError::invalid("q", Msg::new("search.saved_empty")));
        }
        let params = serde_json::to_string(&SavedQuery::of(r)).map_err(CoreError::internal)?;
        let mut tx = self.store.begin().await?;
        if tx.saved_searches_of(s.user_id).await?.len() >= MAX_PER_USER {
            return Err(CoreError::invalid(
                "name",
                Msg::new("search.saved_too_many").arg("max", MAX_PER_USER),
            ));
        }
        let id = tx
            .create_saved_search(s.user_id, name, &params, &self.now_ts())
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn saved_searches(&self, s: &Session) -> Result<Vec<SavedSearch>> {
        let mut tx = self.store.read().await?;
        Ok(tx
            .saved_searches_of(s.user_id)
            .await?
            .into_iter()
            .map(shown)
            .collect())
    }

    /// Opens a saved search: its hits count as seen; answers the search to run.
    pub async fn open_saved_search(&self, s: &Session, id: i64) -> Result<SavedSearch> {
        let mut tx = self.store.begin().await?;
        let row = tx
            .saved_search(s.user_id, id)
            .await?
            .ok_or_else(CoreError::not_found)?;
        tx.mark_saved_hits_seen(s.user_id, id).await?;
        tx.commit().await?;
        Ok(shown(row))
    }

    pub async fn delete_saved_search(&self, s: &Session, id: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_saved_search(s.user_id, id).await? {
            return Err(CoreError::not_found());
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs the saved searches not checked for `every`, as their owners, and e-mails each
    /// owner whose search found something new. Answers how many searches found new items.
    pub async fn check_saved_searches(&self, every: chrono::Duration) -> Result<usize> {
        let now = self.now();
        let ts = |t: chrono::DateTime<chrono::Utc>| kyoyu_store::ts(t);
        let mut tx = self.store.begin_quiet().await?;
        let due = tx
            .claim_saved_searches(&ts(now), &ts(now - every), &ts(now + every * 2), 20)
            .await?;
        tx.commit().await?;
        let mut found = 0;
        for row in due {
            if self.check_one(&row).await? {
                found += 1;
            }
        }
        Ok(found)
    }

    async fn check_one(&self, row: &SavedSearchRow) -> Result<bool> {
        let query: SavedQuery = serde_json::from_str(&row.params).unwrap_or_default();
        let mut tx = self.store.read().await?;
        let user = tx.user(row.user).await?;
        let actor = if user.disabled {
            Actor::Anonymous
        } else {
            self.actor_for(&mut tx, &user).await?
        };
        drop(tx);
        let mut req = query.request();
        req.per_page = Some(CHECK_HITS);
        let ids = match self.search_newest(&actor, &req).await {
            Ok(ids) => ids,
            // A query the synonym list or the codes no longer accept finds nothing.
            Err(e) if e.code == kyoyu_domain::ErrorCode::InvalidField => Vec::new(),
            Err(e) => return Err(e),
        };
        let at = self.now_ts();
        let first = row.checked_at.is_none();
        let mut tx = self.store.begin_quiet().await?;
        let new = tx
            .record_saved_hits(row.id, &query.kind, &ids, &at, first)
            .await?;
        let announce = !first && !new.is_empty() && !user.disabled;
        if announce {
            let count = new.len().to_string();
            let link = format!(
                "{}/search/saved/{}",
                self.config.notify.base_url.trim_end_matches('/'),
                row.id
            );
            let subject = ja("search.saved_mail_subject", &[("name", &row.name)]);
            let body = ja(
                "search.saved_mail_body",
                &[("name", &row.name), ("count", &count), ("link", &link)],
            );
            tx.enqueue_email("saved_search", &user.email, &subject, &body, &at)
                .await?;
        }
        tx.finish_saved_search(row.id, &at).await?;
        tx.commit().await?;
        Ok(announce)
    }

    /// The ids of the newest hits of a search, up to its page size.
    async fn search_newest(&self, actor: &Actor, r: &SearchRequest) -> Result<Vec<i64>> {
        let text = self.text_query("q", r.q.as_deref()).await?;
        let q = kyoyu_store::SearchQuery {
            text,
            filters: r.filters.clone(),
            offset: 0,
            limit: r.per_page.unwrap_or(CHECK_HITS),
            facets: false,
            newest: true,
        };
        let mut tx = self.store.read().await?;
        let mut scoped = tx.scoped(actor);
        Ok(match r.kind {
            SearchKind::Reports => scoped
                .search_reports(&q)
                .await?
                .hits
                .iter()
                .map(|h| h.row.id.0)
                .collect(),
            SearchKind::Advisories => scoped
                .search_advisories(&q)
                .await?
                .hits
                .iter()
                .map(|h| h.row.id.0)
                .collect(),
        })
    }
}

impl Core {
    /// Checks the saved searches every `every` until `shutdown` (beside `kyoyu serve`). A
    /// failed round is logged and the next one tried.
    pub async fn run_saved_searches(
        self,
        every: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let period = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::minutes(5));
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every / 5) => {}
            }
            if let Err(e) = self.check_saved_searches(period).await {
                tracing::warn!(error = %e, "saved searches: a check failed");
            }
        }
    }
}
