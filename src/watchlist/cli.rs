//! The `bgpwatch watchlist ...` subcommands: argument types and what each runs. `main.rs` only
//! forwards to [`run`] and turns its result into an exit code.

use super::bgpalerter::import_bgpalerter;
use super::diff::WatchlistDiff;
use super::generate::{generate, write_atomically, GenerateError, GenerateOptions};
use super::Watchlist;
use std::path::{Path, PathBuf};

/// Exit code: done.
const EXIT_OK: u8 = 0;
/// Exit code: the output could not be written.
const EXIT_FAILURE: u8 = 1;
/// Exit code: bad arguments or a bad input file.
const EXIT_INPUT: u8 = 2;

/// `bgpwatch watchlist` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum WatchlistCommand {
    /// Build a country's watchlist from RIR delegated statistics and routing data.
    Generate(GenerateArgs),
    /// Show the entries added, removed and changed between two watchlist files.
    Diff {
        /// The watchlist in use.
        old: PathBuf,
        /// The candidate.
        new: PathBuf,
    },
    /// Convert a BGPalerter prefixes.yml into a bgpwatch watchlist.
    ImportBgpalerter {
        /// BGPalerter's prefixes file.
        input: PathBuf,
        /// Where to write the watchlist (default: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Arguments of `bgpwatch watchlist generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Country code as the RIR files write it, like PK.
    #[arg(long)]
    pub country: String,
    /// RIR delegated statistics files (standard or extended; plain, gz or bz2).
    #[arg(long, required = true, num_args = 1..)]
    pub delegated: Vec<PathBuf>,
    /// MRT RIB or updates files whose announcements give routed prefixes and origins.
    #[arg(long, num_args = 1..)]
    pub rib: Vec<PathBuf>,
    /// `prefix<TAB>origin` tables (pyasn IPASN files; `;` comments; plain, gz or bz2).
    #[arg(long, num_args = 1..)]
    pub routes: Vec<PathBuf>,
    /// AS names JSON ({"17557": "NAME description, CC"}; plain or gz) for the `asns:` section.
    #[arg(long)]
    pub as_names: Option<PathBuf>,
    /// Where to write the watchlist (replaced only once complete; default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Drop unparsable lines of text inputs (they are listed) instead of failing.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

/// Runs a `watchlist` subcommand: `Ok(exit code)` or `Err((exit code, message))`.
pub fn run(command: WatchlistCommand) -> Result<u8, (u8, String)> {
    match command {
        WatchlistCommand::Generate(args) => run_generate(args),
        WatchlistCommand::Diff { old, new } => run_diff(&old, &new),
        WatchlistCommand::ImportBgpalerter { input, output } => {
            run_import(&input, output.as_deref())
        }
    }
}

fn run_generate(args: GenerateArgs) -> Result<u8, (u8, String)> {
    let options = GenerateOptions {
        country: args.country,
        delegated: args.delegated,
        ribs: args.rib,
        routes: args.routes,
        as_names: args.as_names,
        skip_bad_lines: args.skip_bad_lines,
    };
    let generated = generate(&options).map_err(|e| (EXIT_INPUT, e.to_string()))?;
    for warning in &generated.warnings {
        eprintln!("bgpwatch: warning: {warning}");
    }
    check_loads(&generated.yaml)?;
    emit(&generated.yaml, args.output.as_deref())?;
    let c = &generated.counts;
    eprintln!(
        "bgpwatch: {} entries: {} delegated blocks ({} announced as themselves, {} only through more-specifics, {} squat watches), {} routed more-specifics, {} with several origins; {} ASes",
        c.entries(),
        c.delegated_blocks(),
        c.delegated_routed,
        c.delegated_via_more_specifics,
        c.squat_watches,
        c.routed_more_specifics,
        c.multi_origin,
        c.asns
    );
    Ok(EXIT_OK)
}

fn run_diff(old: &Path, new: &Path) -> Result<u8, (u8, String)> {
    let load = |path: &Path| {
        Watchlist::load(&[path.to_path_buf()]).map_err(|e| (EXIT_INPUT, e.to_string()))
    };
    let diff = WatchlistDiff::between(&load(old)?, &load(new)?);
    println!("{diff}");
    Ok(EXIT_OK)
}

fn run_import(input: &Path, output: Option<&Path>) -> Result<u8, (u8, String)> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| (EXIT_INPUT, format!("cannot read {}: {e}", input.display())))?;
    let imported = import_bgpalerter(&text, input).map_err(|e| (EXIT_INPUT, e.to_string()))?;
    for dropped in &imported.dropped {
        eprintln!("bgpwatch: warning: not carried over: {dropped}");
    }
    let yaml = imported.document.to_yaml();
    check_loads(&yaml)?;
    emit(&yaml, output)?;
    eprintln!(
        "bgpwatch: imported {} prefixes and {} ASes",
        imported.document.prefixes.len(),
        imported.document.asns.len()
    );
    Ok(EXIT_OK)
}

/// A file bgpwatch writes must load; anything else is a bug worth a loud failure.
fn check_loads(yaml: &str) -> Result<(), (u8, String)> {
    Watchlist::from_texts([(Path::new("<generated>"), yaml)])
        .map(|_| ())
        .map_err(|e| {
            (
                EXIT_FAILURE,
                format!("the generated watchlist does not load: {e}"),
            )
        })
}

fn emit(yaml: &str, output: Option<&Path>) -> Result<(), (u8, String)> {
    match output {
        Some(path) => write_atomically(path, yaml.as_bytes())
            .map_err(|e: GenerateError| (EXIT_FAILURE, e.to_string())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(yaml.as_bytes())
                .map_err(|e| (EXIT_FAILURE, format!("cannot write to stdout: {e}")))
        }
    }
}
