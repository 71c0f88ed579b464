//! The corpora the harness runs on: generated once into the work directory (SQLite) or a
//! database of the harness's own (PostgreSQL), and kept for the next run while their recipe —
//! generator, seed, size — is the same. A million threads take a while to make; a benchmark
//! that is cheap to repeat is one that gets repeated.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use kyoyu_core::generate::Generated;
use kyoyu_core::{Core, CoreConfig, SystemClock};
use kyoyu_domain::messages::ja;
use kyoyu_store::Store;

use super::{BackendName, BenchArgs};

/// Changes whenever the generator makes different corpora, so kept ones are remade.
const RECIPE_VERSION: u32 = 1;

/// What a corpus holds.
#[derive(Debug, Clone, Copy)]
pub enum Recipe {
    /// `threads` report threads over the demo world.
    Threads(usize),
    /// The demo world with `operators` more operator organisations of `users` users each.
    World { operators: usize, users: usize },
}

impl Recipe {
    fn name(self) -> String {
        match self {
            Recipe::Threads(n) => format!("t{n}"),
            Recipe::World { operators, users } => format!("w{operators}x{users}"),
        }
    }
}

/// A prepared corpus: where the service finds it.
pub struct Corpus {
    pub data_dir: PathBuf,
    /// The PostgreSQL URL, or none for SQLite in `data_dir`.
    pub database: Option<String>,
    /// What the generation made, when this run made it.
    pub generated: Option<Generated>,
}

impl Corpus {
    pub fn url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("kyoyu.db").display()))
    }
}

fn marker(work: &Path, backend: BackendName, recipe: Recipe) -> PathBuf {
    work.join(format!("{}-{}.recipe", backend.code(), recipe.name()))
}

fn recipe_text(args: &BenchArgs, recipe: Recipe) -> String {
    format!("recipe={RECIPE_VERSION} seed={} {recipe:?}", args.seed)
}

/// The corpus of `recipe` on `backend`, made unless a matching one is kept.
pub async fn prepare(
    args: &BenchArgs,
    backend: BackendName,
    recipe: Recipe,
) -> anyhow::Result<Corpus> {
    let name = recipe.name();
    let data_dir = args.work_dir.join(format!("{}-{name}", backend.code()));
    let marker = marker(&args.work_dir, backend, recipe);
    let wanted = recipe_text(args, recipe);
    let mut kept = !args.fresh
        && std::fs::read_to_string(&marker).is_ok_and(|t| t == wanted)
        && data_dir.exists();
    let database = match backend {
        BackendName::Sqlite => None,
        BackendName::Postgres => {
            let (url, created) = kyoyu_store::bench::create_database(
                &args.pg_url,
                &format!("kyoyu_bench_{name}"),
                !kept,
            )
            .await
            .with_context(|| ja("bench.pg_unreachable", &[]))?;
            // A kept recipe whose database is gone (dropped by hand, or by CI's clean-up)
            // must be made again, not measured empty.
            kept &= !created;
            Some(url)
        }
    };
    let mut corpus = Corpus {
        data_dir,
        database,
        generated: None,
    };
    if kept {
        println!("{}", ja("bench.corpus_kept", &[("name", &name)]));
        return Ok(corpus);
    }
    println!("{}", ja("bench.corpus_making", &[("name", &name)]));
    let _ = std::fs::remove_file(&marker);
    if corpus.data_dir.exists() {
        std::fs::remove_dir_all(&corpus.data_dir)?;
    }
    std::fs::create_dir_all(&corpus.data_dir)?;
    let store = Store::open(&corpus.url()).await?;
    store.migrate().await?;
    let core = Core::new(store, Arc::new(SystemClock), CoreConfig::default()).await?;
    let generated = match recipe {
        Recipe::Threads(n) => core.generate(n, args.seed).await?,
        Recipe::World { operators, users } => {
            core.generate_operators(operators, users).await?;
            Generated::default()
        }
    };
    core.shutdown().await;
    std::fs::write(&marker, wanted)?;
    corpus.generated = Some(generated);
    Ok(corpus)
}
