//! SQLite's one writer, with group commit.
//!
//! SQLite lets one connection write at a time, and a durable commit costs a sync of the
//! write-ahead log. Write transactions therefore run one after another on one dedicated
//! connection, each inside a savepoint of a shared SQLite transaction: a unit that finishes
//! while others wait releases its savepoint and hands the open transaction on; the last of a
//! group (or the 32nd) commits it — one sync for all — and tells the others. Nobody is
//! answered before the commit that holds its work is durable, and a unit that fails rolls back
//! its savepoint only, so the others are unaffected. If the commit itself fails, every unit of
//! the group is told so (and nothing of the group is written).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sqlx::{AnyConnection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::{Result, StoreError};

/// Units that may share one commit: bounds how long the first of them waits for the others.
const MAX_GROUP: usize = 32;

type Outcome = std::result::Result<(), String>;

pub(crate) struct Writer {
    shared: Arc<Mutex<Shared>>,
    /// Writers waiting for the connection: a finished unit hands over only when one is.
    waiting: AtomicUsize,
    /// Raised after every commit that changed what someone may see (see `Store::generation`).
    generation: Arc<AtomicU64>,
}

struct Shared {
    conn: AnyConnection,
    /// A transaction is open: BEGIN issued, COMMIT not yet.
    open: bool,
    /// Units whose work is in the open transaction, waiting for its commit.
    group: Vec<oneshot::Sender<Outcome>>,
    /// A unit was abandoned inside its savepoint (an error, or its request went away).
    abandoned: bool,
    /// Whether a unit of the open transaction changed what lists show.
    visible: bool,
}

impl Shared {
    async fn run(&mut self, sql: &str) -> std::result::Result<(), sqlx::Error> {
        self.conn.execute(sql).await.map(|_| ())
    }

    /// Undoes an abandoned unit; if even that fails, the whole group fails.
    async fn recover(&mut self) {
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        let undone = match self.run("ROLLBACK TO unit").await {
            Ok(()) => self.run("RELEASE unit").await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            self.fail(e.to_string()).await;
        }
    }

    /// Rolls the open transaction back and tells its group.
    async fn fail(&mut self, why: String) {
        let _ = self.run("ROLLBACK").await;
        self.open = false;
        self.visible = false;
        for s in self.group.drain(..) {
            let _ = s.send(Err(why.clone()));
        }
    }

    /// Commits the open transaction and tells its group.
    async fn commit(&mut self, generation: &AtomicU64) -> Outcome {
        let outcome = self.run("COMMIT").await.map_err(|e| e.to_string());
        if outcome.is_err() {
            let _ = self.run("ROLLBACK").await;
        } else if self.visible {
            generation.fetch_add(1, Ordering::SeqCst);
        }
        self.open = false;
        self.visible = false;
        for s in self.group.drain(..) {
            let _ = s.send(outcome.clone());
        }
        outcome
    }
}

/// Counts a writer as waiting while it waits; one that gives up (its request went away) makes
/// sure that a group handed to it is still committed.
struct Waiting<'a> {
    writer: &'a Arc<Writer>,
    got_it: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.writer.waiting.fetch_sub(1, Ordering::SeqCst);
        if !self.got_it {
            self.writer.finish_later();
        }
    }
}

impl Writer {
    pub(crate) fn new(conn: AnyConnection, generation: Arc<AtomicU64>) -> Arc<Writer> {
        Arc::new(Writer {
            shared: Arc::new(Mutex::new(Shared {
                conn,
                open: false,
                group: Vec::new(),
                abandoned: false,
                visible: false,
            })),
            waiting: AtomicUsize::new(0),
            generation,
        })
    }

    /// Waits for the connection and starts a unit in the open transaction (or a new one).
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Unit> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut waiting = Waiting {
            writer: self,
            got_it: false,
        };
        let mut guard = self.shared.clone().lock_owned().await;
        waiting.got_it = true;
        drop(waiting);
        guard.recover().await;
        if !guard.open {
            guard.run("BEGIN IMMEDIATE").await?;
            guard.open = true;
        }
        if let Err(e) = guard.run("SAVEPOINT unit").await {
            guard.fail(e.to_string()).await;
            return Err(e.into());
        }
        Ok(Unit {
            guard,
            writer: self.clone(),
            done: false,
        })
    }

    /// After an abandoned unit or writer: undo what is left and commit the rest of the group,
    /// so that nobody waits for a commit that would not come.
    fn finish_later(self: &Arc<Self>) {
        let writer = self.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut g = writer.shared.clone().lock_owned().await;
                g.recover().await;
                if g.open {
                    let _ = g.commit(&writer.generation).await;
                }
            });
        }
    }
}

/// One write transaction's turn on the writer connection.
pub(crate) struct Unit {
    guard: OwnedMutexGuard<Shared>,
    writer: Arc<Writer>,
    done: bool,
}

impl Unit {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.guard.conn
    }

    /// Keeps this unit's work and answers once it is durable: committed now, or — when another
    /// writer waits — by the group's last unit.
    pub(crate) async fn commit(mut self, visible: bool) -> Result<()> {
        self.guard.run("RELEASE unit").await?;
        self.guard.visible |= visible;
        if self.writer.waiting.load(Ordering::SeqCst) > 0 && self.guard.group.len() + 1 < MAX_GROUP
        {
            let (tx, rx) = oneshot::channel();
            self.guard.group.push(tx);
            self.done = true;
            // Lets the next writer go on in the same transaction.
            drop(self);
            return match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(why)) => Err(StoreError::CommitFailed(why)),
                Err(_) => Err(StoreError::CommitFailed("the group was abandoned".into())),
            };
        }
        let outcome = self.guard.commit(&self.writer.generation).await;
        self.done = true;
        outcome.map_err(StoreError::CommitFailed)
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if !self.done {
            self.guard.abandoned = true;
            self.writer.finish_later();
        }
    }
}
