//! `kyoyu admin …`: organisations, users, tokens, reference data, webhooks, the demo world and
//! its generated corpus, and rebuilding the read model. Everything runs as the system actor.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use kyoyu_core::{Core, NewOrgSpec, NewUserSpec, demo};
use kyoyu_domain::Role;
use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Reference data (sectors, services, ministries).
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Create the demo world (idempotent); with `--generate`, fill it with a corpus.
    Demo(DemoArgs),
    /// Rebuild the read model (lists, inbox boxes, follow-ups) from the editions.
    Reindex,
    /// Webhooks that receive an organisation's notifications (signed with HMAC-SHA256).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The synonym list of search (spellings searched as one: 改竄 / 改ざん).
    #[command(subcommand)]
    Synonyms(SynonymsCommand),
}

#[derive(Subcommand)]
pub enum SynonymsCommand {
    /// Print every group, one per line.
    List,
    /// Make the given spellings one group (merged with any group one of them is in).
    Add {
        #[arg(required = true, num_args = 2..)]
        terms: Vec<String>,
    },
    /// Take a spelling out of its group.
    Remove { term: String },
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook; the secret is read from standard input.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        url: String,
    },
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Add an organisation.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long, default_value = "")]
        name_en: String,
        /// Role code (repeatable): nisc, sector_ministry, ceptoar, operator, …
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Sector code (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// The reference-data ministry this organisation is (for sector ministries).
        #[arg(long)]
        ministry: Option<String>,
        /// CEPTOAR code it is a member of (repeatable).
        #[arg(long = "ceptoar")]
        ceptoars: Vec<String>,
    },
    /// Add an existing organisation to a CEPTOAR.
    AddMember {
        #[arg(long)]
        ceptoar: String,
        #[arg(long)]
        member: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Organisation code (omit for an administrator without organisation).
        #[arg(long)]
        org: Option<String>,
        /// A sharing contact (窓口) of the organisation.
        #[arg(long)]
        contact: bool,
        /// A system administrator.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a user; prints it once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Days until it expires.
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum ReferenceCommand {
    /// Print the reference data in force as TOML.
    Export,
    /// Replace the reference data with a TOML file (validated; history kept).
    Import { file: PathBuf },
}

#[derive(Args)]
pub struct DemoArgs {
    /// Generate this many report threads (and a few advisories) over the demo world.
    #[arg(long)]
    generate: Option<usize>,
    /// The seed of the generated corpus: the same seed gives the same corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also add this many operator organisations (members of their sector's CEPTOAR).
    #[arg(long)]
    operators: Option<usize>,
    /// Users per added operator (the first a sharing contact).
    #[arg(long, default_value_t = 5)]
    users_per_org: usize,
}

fn parse_roles(roles: &[String]) -> anyhow::Result<BTreeSet<Role>> {
    roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(anyhow::Error::from))
        .collect()
}

pub async fn admin(core: &Core, cmd: &AdminCommand) -> anyhow::Result<()> {
    let system = Actor::System;
    match cmd {
        AdminCommand::Org(OrgCommand::Add {
            code,
            name_ja,
            name_en,
            roles,
            sectors,
            ministry,
            ceptoars,
        }) => {
            let spec = NewOrgSpec {
                code: code.clone(),
                name_ja: name_ja.clone(),
                name_en: name_en.clone(),
                roles: parse_roles(roles)?,
                sectors: sectors.iter().cloned().collect(),
                ministry: ministry.clone(),
                ceptoars: ceptoars.iter().cloned().collect(),
            };
            let id = core.create_org(&system, &spec).await?;
            println!(
                "{}",
                ja(
                    "cli.org_created",
                    &[("code", code), ("id", &id.to_string())]
                )
            );
        }
        AdminCommand::Org(OrgCommand::AddMember { ceptoar, member }) => {
            core.add_ceptoar_member(&system, ceptoar, member).await?;
            println!(
                "{}",
                ja(
                    "cli.member_added",
                    &[("member", member), ("ceptoar", ceptoar)]
                )
            );
        }
        AdminCommand::Org(OrgCommand::List) => {
            for o in core.list_orgs(&system).await? {
                let roles: Vec<&str> = o.roles.iter().map(|r| r.code()).collect();
                let sectors: Vec<&str> = o.sectors.iter().map(String::as_str).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    o.code,
                    o.name_ja,
                    roles.join(","),
                    sectors.join(",")
                );
            }
        }
        AdminCommand::User(UserCommand::Add {
            email,
            name,
            org,
            contact,
            admin,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context(ja("cli.stdin_password", &[]))?;
            let spec = NewUserSpec {
                email: email.clone(),
                name: name.clone(),
                org: org.clone(),
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
                is_contact: *contact,
                is_admin: *admin,
            };
            let id = core.create_user(&system, &spec).await?;
            println!(
                "{}",
                ja(
                    "cli.user_created",
                    &[("email", email), ("id", &id.to_string())]
                )
            );
        }
        AdminCommand::Token(TokenCommand::Add { email, name, days }) => {
            let t = core.create_token_for(&system, email, name, *days).await?;
            println!("{}", t.token);
            eprintln!("{}", ja("cli.token_issued", &[("id", &t.id.to_string())]));
        }
        AdminCommand::Reference(ReferenceCommand::Export) => print!("{}", core.reference_toml()),
        AdminCommand::Reference(ReferenceCommand::Import { file }) => {
            let text = std::fs::read_to_string(file).with_context(|| {
                ja(
                    "cli.file_unreadable",
                    &[("file", &file.display().to_string())],
                )
            })?;
            core.replace_reference(&system, &text).await?;
            println!("{}", ja("cli.reference_replaced", &[]));
        }
        AdminCommand::Webhook(WebhookCommand::Add { org, url }) => {
            let mut secret = String::new();
            std::io::stdin()
                .read_to_string(&mut secret)
                .context(ja("cli.stdin_secret", &[]))?;
            let id = core.add_webhook(&system, org, url, secret.trim()).await?;
            println!("{}", ja("cli.webhook_added", &[("id", &id.to_string())]));
        }
        AdminCommand::Synonyms(SynonymsCommand::List) => {
            for group in core.synonym_groups().await? {
                println!("{}", group.join(" "));
            }
        }
        AdminCommand::Synonyms(SynonymsCommand::Add { terms }) => {
            core.add_synonyms(&system, terms).await?;
            println!(
                "{}",
                ja("cli.synonyms_added", &[("terms", &terms.join(" "))])
            );
        }
        AdminCommand::Synonyms(SynonymsCommand::Remove { term }) => {
            core.remove_synonym(&system, term).await?;
            println!("{}", ja("cli.synonym_removed", &[("term", term)]));
        }
        AdminCommand::Reindex => {
            let n = core.reindex(&system).await?;
            println!("{}", ja("cli.reindexed", &[("n", &n.to_string())]));
        }
        AdminCommand::Demo(args) => {
            let s = demo::ensure(core).await?;
            println!(
                "{}",
                ja(
                    "cli.demo_created",
                    &[
                        ("orgs", &s.orgs_created.to_string()),
                        ("users", &s.users_created.to_string())
                    ]
                )
            );
            if let Some(n) = args.operators {
                core.generate_operators(n, args.users_per_org).await?;
                println!(
                    "{}",
                    ja("cli.operators_generated", &[("n", &n.to_string())])
                );
            }
            if let Some(n) = args.generate {
                let g = core.generate(n, args.seed).await?;
                println!(
                    "{}",
                    ja(
                        "cli.generated",
                        &[
                            ("threads", &g.threads.to_string()),
                            ("advisories", &g.advisories.to_string()),
                            (
                                "rate",
                                &format!("{:.0}", g.threads as f64 / g.thread_seconds.max(1e-9))
                            ),
                        ]
                    )
                );
            }
        }
    }
    Ok(())
}
