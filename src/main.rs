//! The `bgpwatch` command: parses the command line, loads and validates configuration, runs the
//! chosen command and maps errors to exit codes (0 clean, 2 usage or config error, 3 some input
//! was damaged, 1 anything else).

use bgpwatch::as_rel::{AsRelationships, LineError};
use bgpwatch::config::Config;
use bgpwatch::replay::{replay, ReplayOptions};
use bgpwatch::sink::{JsonlSink, OutputFormat, Sink};
use bgpwatch::source::InputFormat;
use bgpwatch::watchlist::Watchlist;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const EXIT_FAILURE: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_DAMAGED_INPUT: u8 = 3;
/// Damage reports printed per run before the rest are only counted.
const MAX_PRINTED_ERRORS: usize = 20;

#[derive(Parser)]
#[command(
    name = "bgpwatch",
    version,
    about = "BGP hijack, leak and withdrawal monitor"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the live monitor (RIS Live, BMP station, MRT bootstrap) until SIGINT/SIGTERM.
    Run {
        /// TOML configuration; without one the defaults apply (RIS Live, prefixes/, loopback HTTP).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Watchlist file or directory (repeatable), instead of the config's.
        #[arg(long)]
        watchlist: Vec<PathBuf>,
    },
    /// Replay MRT, RIS Live JSON or BMP files through the detectors; alerts go to stdout.
    Replay {
        /// TOML configuration (watchlist and [detect] thresholds are used).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Watchlist file or directory (repeatable); default: the config's, else prefixes/.
        #[arg(long)]
        watchlist: Vec<PathBuf>,
        /// Output format of alert events.
        #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
        format: OutputFormat,
        /// Also write the run summary as JSON to this file.
        #[arg(long)]
        summary_json: Option<PathBuf>,
        /// Input format, when sniffing the content is not wanted.
        #[arg(long, value_enum)]
        input_format: Option<InputFormat>,
        /// Vantage points needed to open an alert (overrides the config).
        #[arg(long)]
        min_peers: Option<usize>,
        /// Seconds with no vantage point carrying a route before its alert resolves.
        #[arg(long)]
        resolve_after: Option<u64>,
        /// Never draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// VRP JSON file (rpki-client / Routinator format) for RPKI validation (overrides the
        /// config's `vrps`).
        #[arg(long)]
        vrps: Option<PathBuf>,
        /// CAIDA as-rel / as-rel2 file for route-leak checks (overrides the config's `as_rel`).
        #[arg(long, value_name = "FILE")]
        as_rel: Option<PathBuf>,
        /// Input files (MRT: plain, .gz, .bz2; RIS Live JSON lines; raw BMP).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Generate, compare or import watchlists.
    Watchlist {
        #[command(subcommand)]
        command: bgpwatch::watchlist::cli::WatchlistCommand,
    },
    /// Validate the configuration and the watchlists it names, then exit.
    CheckConfig {
        /// TOML configuration; defaults are checked when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Watchlist file or directory (repeatable), instead of the config's.
        #[arg(long)]
        watchlist: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            eprintln!("bgpwatch: error: {message}");
            ExitCode::from(code)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BGPWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

type Failure = (u8, String);

fn report_as_rel_problems(problems: &[LineError]) {
    for problem in problems.iter().take(MAX_PRINTED_ERRORS) {
        eprintln!("bgpwatch: warning: {problem}");
    }
    if problems.len() > MAX_PRINTED_ERRORS {
        eprintln!(
            "bgpwatch: warning: ... and {} more skipped as-rel lines",
            problems.len() - MAX_PRINTED_ERRORS
        );
    }
}

/// Skipped entries of a reference file (the rest loaded): warnings, not failures.
fn report_warnings(warnings: &[String]) {
    for warning in warnings.iter().take(MAX_PRINTED_ERRORS) {
        eprintln!("bgpwatch: warning: skipped {warning}");
    }
    if warnings.len() > MAX_PRINTED_ERRORS {
        eprintln!(
            "bgpwatch: warning: ... and {} more skipped entries",
            warnings.len() - MAX_PRINTED_ERRORS
        );
    }
}

fn load(config: Option<&PathBuf>, watchlist: Vec<PathBuf>) -> Result<(Config, Watchlist), Failure> {
    let mut config = match config {
        Some(path) => Config::load(path).map_err(|e| (EXIT_CONFIG, e.to_string()))?,
        None => Config::default(),
    };
    if !watchlist.is_empty() {
        config.watchlist = watchlist;
    }
    let list = Watchlist::load(&config.watchlist).map_err(|e| (EXIT_CONFIG, e.to_string()))?;
    Ok((config, list))
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Run { config, watchlist } => {
            let (config, list) = load(config.as_ref(), watchlist)?;
            report_as_rel_problems(&config.as_rel_problems);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| (EXIT_FAILURE, format!("cannot start the runtime: {e}")))?;
            runtime
                .block_on(bgpwatch::pipeline::run(config, list))
                .map_err(|e| (EXIT_FAILURE, e.to_string()))?;
            Ok(0)
        }
        Command::Watchlist { command } => bgpwatch::watchlist::cli::run(command),
        Command::CheckConfig { config, watchlist } => {
            let (config, list) = load(config.as_ref(), watchlist)?;
            report_as_rel_problems(&config.as_rel_problems);
            report_warnings(&config.vrp_problems);
            println!(
                "config OK: {} watched prefixes, {} groups, {} watched ASNs from {}; {} sources, {} sinks",
                list.len(),
                list.groups().count(),
                list.asns().count(),
                config.watchlist.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
                config.sources.len(),
                config.sinks.len()
            );
            Ok(0)
        }
        Command::Replay {
            config,
            watchlist,
            format,
            summary_json,
            input_format,
            min_peers,
            resolve_after,
            no_progress,
            as_rel,
            vrps,
            inputs,
        } => {
            let (config, list) = load(config.as_ref(), watchlist)?;
            let mut engine = config.engine;
            let mut vrp_problems = config.vrp_problems;
            if let Some(path) = vrps {
                let load = bgpwatch::rpki::load_vrp_file(&path)
                    .map_err(|e| (EXIT_CONFIG, e.to_string()))?;
                vrp_problems = load
                    .rejected
                    .iter()
                    .map(|r| format!("{}: {r}", path.display()))
                    .collect();
                engine.vrps = Some(Arc::new(load.vrps));
            }
            report_warnings(&vrp_problems);
            let mut as_rel_problems = config.as_rel_problems;
            if let Some(path) = as_rel {
                let (rels, problems) =
                    AsRelationships::load(&path).map_err(|e| (EXIT_CONFIG, e.to_string()))?;
                engine.as_rel = Some(Arc::new(rels));
                as_rel_problems = problems;
            }
            // Skipped lines only leave relationships unknown, and unknown relationships never
            // accuse: the alerts stand, so this warns without failing the run.
            report_as_rel_problems(&as_rel_problems);
            if let Some(n) = min_peers {
                if n == 0 {
                    return Err((EXIT_CONFIG, "--min-peers must be at least 1".into()));
                }
                engine.book.min_peers = n;
            }
            if let Some(secs) = resolve_after {
                engine.book.resolve_after = chrono::Duration::seconds(secs as i64);
            }
            let options = ReplayOptions {
                inputs,
                format: input_format,
                engine,
                progress: !no_progress,
            };
            let mut sink = Sink::Jsonl(JsonlSink::stdout(format));
            let report = replay(Arc::new(list), &options, &mut sink)
                .map_err(|e| (EXIT_FAILURE, e.to_string()))?;
            for error in report.errors.iter().take(MAX_PRINTED_ERRORS) {
                eprintln!("bgpwatch: input error: {error}");
            }
            // Every error is counted; only the first of each input are kept as messages.
            let printed = report.errors.len().min(MAX_PRINTED_ERRORS) as u64;
            if report.stats.errors > printed {
                eprintln!(
                    "bgpwatch: ... and {} more input errors",
                    report.stats.errors - printed
                );
            }
            eprintln!("{}", report.summary_line());
            if let Some(path) = summary_json {
                let json = serde_json::to_string_pretty(&report.summary_json())
                    .map_err(|e| (EXIT_FAILURE, e.to_string()))?;
                std::fs::write(&path, json + "\n").map_err(|e| {
                    (
                        EXIT_FAILURE,
                        format!("cannot write summary {}: {e}", path.display()),
                    )
                })?;
            }
            Ok(if report.errors.is_empty() {
                0
            } else {
                EXIT_DAMAGED_INPUT
            })
        }
    }
}
