//! PostgreSQL's own client programs, `pg_dump` and `pg_restore`: the dump of a snapshot kyoyu
//! holds open, and its restore in one transaction. The password travels in `PGPASSWORD`, never
//! on a command line other users of the machine can read.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::bail;
use kyoyu_domain::messages::ja;

pub struct PgTools {
    /// The directory holding the programs; `None`: `PATH`.
    pub bin: Option<PathBuf>,
}

impl PgTools {
    fn command(&self, tool: &str, url: &str) -> anyhow::Result<tokio::process::Command> {
        let program = match &self.bin {
            Some(dir) => dir.join(tool),
            None => PathBuf::from(tool),
        };
        let mut parsed = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!(ja("backup.bad_url", &[("detail", &e.to_string())])))?;
        let password = parsed.password().map(percent_decode);
        let _ = parsed.set_password(None);
        let mut cmd = tokio::process::Command::new(program);
        cmd.arg("--dbname").arg(parsed.as_str());
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Ok(cmd)
    }

    /// Dumps the database as the exported `snapshot` sees it, in custom format, to `out`.
    pub async fn dump(&self, url: &str, snapshot: &str, out: &Path) -> anyhow::Result<()> {
        let mut cmd = self.command("pg_dump", url)?;
        cmd.args(["--format=custom", "--no-owner", "--no-privileges"])
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(out);
        run("pg_dump", cmd).await
    }

    /// Restores `dump` into the database in one transaction: all of it or nothing. With
    /// `clean`, kyoyu's objects already there are dropped first (in the same transaction).
    pub async fn restore(&self, url: &str, dump: &Path, clean: bool) -> anyhow::Result<()> {
        let mut cmd = self.command("pg_restore", url)?;
        cmd.args([
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
        ]);
        if clean {
            cmd.args(["--clean", "--if-exists"]);
        }
        cmd.arg(dump);
        run("pg_restore", cmd).await
    }
}

async fn run(tool: &str, mut cmd: tokio::process::Command) -> anyhow::Result<()> {
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => bail!(ja(
            "backup.pg_tool_missing",
            &[("tool", tool), ("detail", &e.to_string())]
        )),
    };
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let detail = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
        bail!(ja(
            "backup.pg_tool_failed",
            &[
                ("tool", tool),
                (
                    "code",
                    &out.status.code().map(|c| c.to_string()).unwrap_or_default()
                ),
                ("detail", &detail),
            ]
        ));
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
