//! The audit trail from the use cases' side. A change appends its record in its own
//! transaction (a record exists exactly when the change committed). A read of a non-White item
//! goes into a buffer that a background task appends in batches — one short write transaction
//! for a burst of reads, so that readers never queue behind the single SQLite writer. What a
//! crash can lose is said in ARCHITECTURE.md: the reads of at most the last `FLUSH_EVERY`.
//! `audit_verify` walks the chain in batches, holding one batch at a time.

use std::time::Duration;

use kyoyu_domain::audit::{ChainError, ChainVerifier};
use kyoyu_domain::policy::Actor;
use kyoyu_store::{NewAudit, Store, Tx};
use tokio::sync::{mpsc, oneshot};

use crate::{Core, Result};

/// How long a read audit may wait in the buffer before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The most records one batch writes.
const BATCH: usize = 1000;

enum Msg {
    Record(NewAudit),
    Flush(oneshot::Sender<()>),
}

/// The buffer of read audits; cloned with the `Core`. When the last clone goes, the task
/// writes what is left and ends.
#[derive(Clone)]
pub(crate) struct ReadAudits {
    tx: mpsc::Sender<Msg>,
}

impl ReadAudits {
    pub(crate) fn start(store: Store) -> ReadAudits {
        // Bounded: a reader waits (rather than memory growing) if the database falls behind.
        let (tx, rx) = mpsc::channel(50_000);
        tokio::spawn(writer(store, rx));
        ReadAudits { tx }
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Msg>) {
    let mut pending: Vec<NewAudit> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let first = if pending.is_empty() && waiting.is_empty() {
            match rx.recv().await {
                Some(m) => Some(m),
                None => break,
            }
        } else {
            None
        };
        let mut closed = false;
        let take = |m: Msg, pending: &mut Vec<NewAudit>, waiting: &mut Vec<_>| match m {
            Msg::Record(r) => pending.push(r),
            Msg::Flush(done) => waiting.push(done),
        };
        if let Some(m) = first {
            take(m, &mut pending, &mut waiting);
        }
        // Gather what else arrives within the window, up to a batch.
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while pending.len() < BATCH && waiting.is_empty() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => take(m, &mut pending, &mut waiting),
                Ok(None) => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        while let Ok(m) = rx.try_recv() {
            take(m, &mut pending, &mut waiting);
        }
        if !pending.is_empty() {
            match write(&store, &pending).await {
                Ok(()) => pending.clear(),
                Err(e) => {
                    // Kept and tried again: a read audit is not dropped for a passing fault.
                    tracing::error!(error = %e, records = pending.len(), "writing read audits");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if closed || rx.is_closed() {
                        break;
                    }
                    continue;
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        if closed {
            break;
        }
    }
}

async fn write(store: &Store, recs: &[NewAudit]) -> Result<()> {
    // Audit records of reads show on no list.
    let mut tx = store.begin_quiet().await?;
    tx.audit_many(recs).await?;
    tx.commit().await?;
    Ok(())
}

impl Core {
    fn record(
        &self,
        actor: &Actor,
        action: &str,
        target: String,
        detail: serde_json::Value,
    ) -> NewAudit {
        NewAudit {
            at: self.now_ts(),
            actor_user: actor.user_id(),
            actor_org: actor.org_id(),
            action: action.to_owned(),
            target,
            detail,
        }
    }

    /// Appends an audit record for `actor` in `tx`: the change and its record commit together.
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> Result<()> {
        tx.audit(&self.record(actor, action, target.into(), detail))
            .await?;
        Ok(())
    }

    /// Records that `actor` read something (written within `FLUSH_EVERY`, in a batch).
    pub(crate) async fn audit_read(
        &self,
        actor: &Actor,
        action: &str,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) {
        let rec = self.record(actor, action, target.into(), detail);
        if self.read_audits.tx.send(Msg::Record(rec)).await.is_err() {
            tracing::error!(action, "the read-audit writer has stopped");
        }
    }

    /// Waits until every read audit buffered so far is written.
    pub async fn flush_audits(&self) {
        let (done, wait) = oneshot::channel();
        if self.read_audits.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Walks the whole audit chain a batch at a time; the error names the first bad record.
    pub async fn audit_verify(&self) -> Result<std::result::Result<u64, ChainError>> {
        self.flush_audits().await;
        let mut tx = self.store.read().await?;
        let (head, head_hash) = tx.audit_head().await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = tx.audit_records(after, 5000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for r in &batch {
                if let Err(e) = verifier.push(r) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(verifier.finish(Some((head, &head_hash))))
    }
}
