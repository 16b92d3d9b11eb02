//! The command line: `serve` (the default), `migrate`, `healthcheck`, `backup`, `restore`,
//! `restored`, `openapi`, `user create`, `import municipalities`, `export municipalities`.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::auth::Role;
use crate::config::Settings;
use crate::db::{Db, DbTarget};
use crate::municipalities::import::ImportReport;
use crate::types::Email;
use crate::users::{self, api::NewUser};

#[derive(Parser, Debug)]
#[command(
    name = "engagiert",
    version,
    about = "API backend of the Kommunen-Netzwerk: engagiert in NRW"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Exit 0 when the service on ENGAGIERT_BIND answers /readyz with 200 (the container's
    /// health check), else 1.
    Healthcheck {
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Write a consistent copy of the database while the service keeps serving (SQLite:
    /// an online copy; PostgreSQL: pg_dump's custom format).
    Backup {
        /// The file to write; never overwritten.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Restore a backup after checking it (SQLite: with the service stopped; PostgreSQL:
    /// into an empty database), then do what `restored` does.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// After a restore made by other means: end every session, start a new change-feed
    /// history, and list the API tokens and webhooks to review.
    Restored,
    /// Write the OpenAPI document.
    Openapi {
        /// Where to write it; `-` for standard output.
        #[arg(long, short, default_value = "openapi/openapi.json")]
        output: PathBuf,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data for integration scripts.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export data for integration scripts.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Create and change municipalities from a CSV in the export's format, matched by AGS
    /// (by slug without one); the rules and the report of `POST /api/v1/imports/municipalities`.
    /// Any error writes nothing and exits with status 1.
    Municipalities {
        /// The CSV file (`-` for standard input).
        file: PathBuf,
        /// Report what would happen and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON, as the HTTP endpoint answers it.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write every municipality as CSV (the format the import reads).
    Municipalities {
        /// Where to write it; standard output when omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// The municipality of an editor.
        #[arg(long)]
        municipality_id: Option<Uuid>,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    crate::logging::init_logging(cli.settings.log_format);
    let result = command(cli);
    crate::logging::flush_logs();
    result
}

fn command(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(crate::app::serve(cli.settings)),
        Command::Healthcheck { timeout } => {
            crate::ops::healthcheck(&cli.settings.bind, std::time::Duration::from_secs(timeout))
        }
        Command::Backup { output } => {
            let db = open(&cli.settings)?;
            let target = DbTarget::parse(&cli.settings.database_url).map_err(anyhow::Error::msg)?;
            crate::storage::backup::backup(&db, &target, &output)?;
            eprintln!("wrote {}", output.display());
            Ok(())
        }
        Command::Restore { file } => {
            let target = DbTarget::parse(&cli.settings.database_url).map_err(anyhow::Error::msg)?;
            let settings = &cli.settings;
            let report = crate::storage::backup::restore(&target, &file, || open(settings))?;
            println!("restored {}\n{report}", file.display());
            Ok(())
        }
        Command::Restored => {
            let report = crate::storage::backup::restored(&open(&cli.settings)?)?;
            println!("{report}");
            Ok(())
        }
        Command::Migrate => {
            let applied = open(&cli.settings)?.migrate()?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Openapi { output } => {
            let json = crate::openapi::to_json(&crate::app::document());
            if output.as_os_str() == "-" {
                std::io::stdout().write_all(json.as_bytes())?;
            } else {
                std::fs::write(&output, json)
                    .with_context(|| format!("cannot write {}", output.display()))?;
                eprintln!("wrote {}", output.display());
            }
            Ok(())
        }
        Command::Import {
            what:
                ImportCommand::Municipalities {
                    file,
                    dry_run,
                    json,
                },
        } => import_municipalities(&cli.settings, &file, dry_run, json),
        Command::Export {
            what: ExportCommand::Municipalities { output },
        } => export_municipalities(&cli.settings, output.as_deref()),
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    name,
                    municipality_id,
                },
        } => {
            let db = open(&cli.settings)?;
            db.migrate()?;
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            eprintln!("password for {email} (from standard input):");
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let mut conn = db.connection().map_err(|e| anyhow::anyhow!("{e}"))?;
            let new = NewUser {
                email,
                name,
                role,
                municipality_id,
                password,
                active: true,
            };
            let row = users::create_account(&mut conn, new).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} {} ({})", row.role, row.email, row.id);
            Ok(())
        }
    }
}

fn import_municipalities(
    settings: &Settings,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let db = open(settings)?;
    db.migrate()?;
    let data = if file.as_os_str() == "-" {
        let mut data = Vec::new();
        std::io::stdin().lock().read_to_end(&mut data)?;
        data
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let mut conn = db.connection().map_err(|e| anyhow::anyhow!("{e}"))?;
    let show_progress = std::io::stderr().is_terminal();
    let report = crate::municipalities::import::import(
        &mut conn,
        &data,
        dry_run,
        &crate::history::revisions::Actor::system(),
        |done, total| {
            if show_progress && total > 0 {
                let width = 30;
                let filled = done * width / total;
                eprint!(
                    "\r[{}{}] {done}/{total}",
                    "#".repeat(filled),
                    ".".repeat(width - filled)
                );
                if done == total {
                    eprintln!();
                }
            }
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} error(s): nothing was written", report.errors.len())
    }
}

fn print_report(report: &ImportReport) {
    for created in &report.created {
        println!("line {:>5}  created    {}", created.line, created.slug);
    }
    for changed in &report.changed {
        println!("line {:>5}  changed    {}", changed.line, changed.slug);
        for (field, change) in &changed.fields {
            let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(empty)".into());
            println!(
                "              {field}: {} -> {}",
                show(&change.from),
                show(&change.to)
            );
        }
    }
    for error in &report.errors {
        let field = error
            .field
            .as_deref()
            .map(|f| format!("{f}: "))
            .unwrap_or_default();
        println!(
            "line {:>5}  error      {field}{} ({})",
            error.line, error.message, error.code
        );
    }
    println!("{}", report.summary());
}

fn export_municipalities(
    settings: &Settings,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let db = open(settings)?;
    let mut conn = db.connection().map_err(|e| anyhow::anyhow!("{e}"))?;
    let csv =
        crate::municipalities::export::csv_of_all(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    match output {
        Some(path) => {
            std::fs::write(path, csv).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => std::io::stdout().write_all(&csv)?,
    }
    Ok(())
}

fn open(settings: &Settings) -> anyhow::Result<Db> {
    let target = DbTarget::parse(&settings.database_url).map_err(anyhow::Error::msg)?;
    Ok(Db::new(target, &settings.pool_options()))
}
