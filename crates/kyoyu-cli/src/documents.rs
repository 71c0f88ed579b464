//! `kyoyu export xlsx|pdf|csv|stix|misp` and `kyoyu import xlsx|stix`: the forms, lists and
//! exchange formats as files from the command line, as the user of an API token (`--token` or
//! `KYOYU_TOKEN`) — with exactly that user's view and rights, recorded in the audit log as
//! theirs — through the same use cases as the API.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use kyoyu_core::Core;
use kyoyu_core::advisories::AdvisoryFilter;
use kyoyu_core::documents::Download;
use kyoyu_core::reports::ReportFilter;
use kyoyu_domain::messages::ja;
use kyoyu_domain::{AdvisoryId, ReportId};

#[derive(Args, Debug)]
pub struct Who {
    /// An API token of the user to act as (their view, their rights).
    #[arg(long, env = "KYOYU_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Who {
    async fn session(&self, core: &Core) -> anyhow::Result<kyoyu_core::Session> {
        let token = self
            .token
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!(ja("cli.token_needed", &[])))?;
        Ok(core.authenticate(token).await?)
    }
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A report edition, an advisory or a blank form as the Excel 様式.
    Xlsx {
        #[command(flatten)]
        what: Item,
        /// A blank form instead: `report` or `advisory` (no token needed).
        #[arg(long, conflicts_with_all = ["report", "advisory"])]
        blank: Option<String>,
        #[command(flatten)]
        who: Who,
        /// The file to write.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// A report edition or an advisory as PDF (needs headless Chromium).
    Pdf {
        #[command(flatten)]
        what: Item,
        #[command(flatten)]
        who: Who,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// A report thread's sent editions or a published advisory — or with `--all` everything
    /// the token's user may see — as a STIX 2.1 bundle (JSON).
    Stix {
        #[command(flatten)]
        what: Item,
        /// Every report and advisory the user may see, in one bundle.
        #[arg(long, conflicts_with_all = ["report", "advisory"])]
        all: bool,
        #[command(flatten)]
        who: Who,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// The MISP feed the token's user may see (manifest.json, one event per published
    /// advisory, hashes.csv) into a directory, to serve or copy to a MISP instance.
    Misp {
        #[command(flatten)]
        who: Who,
        /// The directory to write into (created if missing).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// The report or advisory list as CSV for Excel.
    Csv {
        list: ListName,
        /// TLP code: red, amber, green, white.
        #[arg(long)]
        tlp: Option<String>,
        /// Sector code (reports).
        #[arg(long)]
        sector: Option<String>,
        /// Free text.
        #[arg(long)]
        q: Option<String>,
        #[command(flatten)]
        who: Who,
        #[arg(short, long)]
        out: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct Item {
    /// The report's id.
    #[arg(long, conflicts_with = "advisory")]
    report: Option<i64>,
    /// The edition (第N報); the latest when absent.
    #[arg(long, requires = "report")]
    edition: Option<u32>,
    /// The advisory's id.
    #[arg(long)]
    advisory: Option<i64>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListName {
    Reports,
    Advisories,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// A filled Excel 様式 as a draft: a report (図4) of the token's organisation, or with
    /// `--advisory` NISC's advisory (図7). Any problem is printed by cell; nothing is kept.
    Xlsx {
        file: PathBuf,
        /// Import as the next edition of this report.
        #[arg(long, conflicts_with = "advisory")]
        follow_up_of: Option<i64>,
        /// The sheet is an advisory form.
        #[arg(long)]
        advisory: bool,
        #[command(flatten)]
        who: Who,
    },
    /// A STIX 2.1 bundle (as MISP, OpenCTI or kyoyu export it) as a draft: a report of the
    /// token's organisation, or with `--advisory` NISC's advisory. The bundle is attached to
    /// the draft; a bad bundle is refused naming the object and the property.
    Stix {
        file: PathBuf,
        /// Import as NISC's draft advisory.
        #[arg(long)]
        advisory: bool,
        #[command(flatten)]
        who: Who,
    },
}

fn write(out: &Path, d: &Download) -> anyhow::Result<()> {
    std::fs::write(out, &d.bytes).with_context(|| {
        ja(
            "cli.file_unwritable",
            &[("file", &out.display().to_string())],
        )
    })?;
    println!(
        "{}",
        ja(
            "cli.exported",
            &[
                ("file", &out.display().to_string()),
                ("name", &d.file_name),
                ("bytes", &d.bytes.len().to_string())
            ]
        )
    );
    Ok(())
}

fn nothing_named() -> anyhow::Error {
    anyhow::anyhow!(ja("cli.export_what", &[]))
}

pub async fn export(
    core: &Core,
    cmd: &ExportCommand,
    pdf_chromium: Option<String>,
) -> anyhow::Result<()> {
    let done = export_one(core, cmd, pdf_chromium).await;
    // Exports are recorded like reads, through the buffer: written before the process ends.
    core.flush_audits().await;
    done
}

async fn export_one(
    core: &Core,
    cmd: &ExportCommand,
    pdf_chromium: Option<String>,
) -> anyhow::Result<()> {
    match cmd {
        ExportCommand::Xlsx {
            what,
            blank,
            who,
            out,
        } => {
            if let Some(which) = blank {
                return write(out, &core.blank_xlsx(which)?);
            }
            let s = who.session(core).await?;
            let d = match (what.report, what.advisory) {
                (Some(id), _) => {
                    core.report_xlsx(&s.actor, ReportId(id), what.edition)
                        .await?
                }
                (_, Some(id)) => core.advisory_xlsx(&s.actor, AdvisoryId(id)).await?,
                _ => return Err(nothing_named()),
            };
            write(out, &d)
        }
        ExportCommand::Pdf { what, who, out } => {
            let s = who.session(core).await?;
            let config = kyoyu_web::WebConfig {
                pdf_chromium,
                ..kyoyu_web::WebConfig::default()
            };
            let state = kyoyu_web::AppState::new(core.clone(), config);
            let d = match (what.report, what.advisory) {
                (Some(id), _) => {
                    kyoyu_web::report_pdf(&state, &s.actor, ReportId(id), what.edition).await
                }
                (_, Some(id)) => kyoyu_web::advisory_pdf(&state, &s.actor, AdvisoryId(id)).await,
                _ => return Err(nothing_named()),
            };
            write(out, &d.map_err(|e| anyhow::anyhow!(e))?)
        }
        ExportCommand::Stix {
            what,
            all,
            who,
            out,
        } => {
            let s = who.session(core).await?;
            let bundle = match (what.report, what.advisory, all) {
                (_, _, true) => core.everything_stix(&s.actor).await?,
                (Some(id), _, _) => core.report_stix(&s.actor, ReportId(id)).await?,
                (_, Some(id), _) => core.advisory_stix(&s.actor, AdvisoryId(id)).await?,
                _ => return Err(nothing_named()),
            };
            write(out, &kyoyu_core::exchange::stix_file(&bundle, "kyoyu"))
        }
        ExportCommand::Misp { who, out } => {
            let s = who.session(core).await?;
            let feed = core.misp_feed(&s.actor).await?;
            std::fs::create_dir_all(out).with_context(|| {
                ja(
                    "cli.file_unwritable",
                    &[("file", &out.display().to_string())],
                )
            })?;
            let mut files = vec![
                ("manifest.json".to_owned(), feed.manifest.to_string()),
                ("hashes.csv".to_owned(), feed.hashes_csv()),
            ];
            files.extend(
                feed.events
                    .iter()
                    .map(|(uuid, e)| (format!("{uuid}.json"), e.to_string())),
            );
            for (name, text) in files {
                write(
                    &out.join(&name),
                    &Download {
                        file_name: name,
                        content_type: "application/json".to_owned(),
                        bytes: text.into_bytes(),
                        zipped: false,
                    },
                )?;
            }
            Ok(())
        }
        ExportCommand::Csv {
            list,
            tlp,
            sector,
            q,
            who,
            out,
        } => {
            let s = who.session(core).await?;
            let tlp = tlp
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let d = match list {
                ListName::Reports => {
                    let f = ReportFilter {
                        tlp,
                        sector: sector.clone(),
                        q: q.clone(),
                        ..Default::default()
                    };
                    core.reports_csv(&s.actor, &f).await?
                }
                ListName::Advisories => {
                    let f = AdvisoryFilter {
                        tlp,
                        q: q.clone(),
                        ..Default::default()
                    };
                    core.advisories_csv(&s.actor, &f).await?
                }
            };
            write(out, &d)
        }
    }
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| {
        ja(
            "cli.file_unreadable",
            &[("file", &file.display().to_string())],
        )
    })
}

pub async fn import(core: &Core, cmd: &ImportCommand) -> anyhow::Result<()> {
    let (file, follow_up_of, advisory, who) = match cmd {
        ImportCommand::Stix {
            file,
            advisory,
            who,
        } => {
            let bytes = read(file)?;
            let s = who.session(core).await?;
            if *advisory {
                let v = core.import_advisory_stix(&s, &bytes).await?;
                println!(
                    "{}",
                    ja("cli.imported_advisory", &[("id", &v.id.to_string())])
                );
            } else {
                let t = core.import_report_stix(&s, &bytes).await?;
                println!(
                    "{}",
                    ja(
                        "cli.imported_report",
                        &[("id", &t.id.to_string()), ("edition", "1")]
                    )
                );
            }
            core.flush_audits().await;
            return Ok(());
        }
        ImportCommand::Xlsx {
            file,
            follow_up_of,
            advisory,
            who,
        } => (file, follow_up_of, advisory, who),
    };
    let bytes = read(file)?;
    let s = who.session(core).await?;
    if *advisory {
        let v = core.import_advisory_xlsx(&s, &bytes).await?;
        println!(
            "{}",
            ja("cli.imported_advisory", &[("id", &v.id.to_string())])
        );
    } else {
        let t = core
            .import_report_xlsx(&s, &bytes, follow_up_of.map(ReportId))
            .await?;
        let edition = t.editions.last().map_or(1, |e| e.edition);
        println!(
            "{}",
            ja(
                "cli.imported_report",
                &[("id", &t.id.to_string()), ("edition", &edition.to_string())]
            )
        );
    }
    core.flush_audits().await;
    Ok(())
}
