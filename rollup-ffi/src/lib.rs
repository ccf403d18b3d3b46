//! The commands the contracts' Foundry tests reach through `vm.ffi`, shared with the toolkit's
//! command line: EXECUTE on hex ABI input, the data proofs of a batch blob, and the standard
//! dispute scenario. Each prints hex or writes a file, as `vm.ffi` expects.

pub mod blob;

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use execute::{
    precompile::{abi_bool, ExecuteInput},
    ChainConfig, Fork, Host,
};

/// The commands `vm.ffi` calls.
#[derive(Debug, Subcommand)]
pub enum FfiCommand {
    /// The EXECUTE precompile.
    #[command(subcommand)]
    Execute(ExecuteCommand),
    /// Batch blobs as the dispute contracts read them.
    #[command(subcommand)]
    Blob(blob::BlobCommand),
    /// Writes the standard dispute scenario (an L2 history with every step's inputs) as JSON,
    /// for the contracts' game tests.
    Scenario(ScenarioArgs),
}

/// `execute`'s commands `vm.ffi` calls.
#[derive(Debug, Subcommand)]
pub enum ExecuteCommand {
    /// Evaluates EXECUTE on ABI input given as hex (stdin or a file); prints the ABI output as
    /// hex, as Foundry's `vm.ffi` expects.
    Verify(VerifyArgs),
}

/// `execute verify`'s settings.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// File holding the hex input; stdin when absent.
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// The host's fork, in force for all time: the traced block runs by its rules.
    #[arg(long, env = "EXECUTE_HOST_FORK", default_value = "osaka")]
    pub fork: String,
    /// Print why the result is false on stderr.
    #[arg(long)]
    pub explain: bool,
}

/// `scenario`'s settings.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Timestamp of the L1 block that carries the batch.
    #[arg(long)]
    pub l1_timestamp: u64,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `command`.
pub fn run(command: FfiCommand) -> Result<ExitCode> {
    match command {
        FfiCommand::Execute(ExecuteCommand::Verify(args)) => verify(&args),
        FfiCommand::Blob(command) => blob::run(command).map(|()| ExitCode::SUCCESS),
        FfiCommand::Scenario(args) => scenario(args.l1_timestamp, &args.out),
    }
}

/// `execute verify`: EXECUTE's answer to the hex ABI input, printed as hex ABI.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let text = match &args.input {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading stdin")?;
            text
        }
    };
    let hex = text.trim();
    let bytes = alloy_primitives::hex::decode(hex).context("input is not hex")?;
    // A blob-parameter-only fork is Osaka with blob values this command does not know.
    let fork = match Fork::from_name(&capitalize(&args.fork)) {
        Some(fork) if !args.fork.to_ascii_lowercase().starts_with("bpo") => fork,
        _ => bail!("unknown fork {} (use cancun, prague or osaka)", args.fork),
    };
    let schedule = ChainConfig::mainnet(fork).schedule();
    let host = Host::latest(&schedule);
    // Malformed ABI is `false`, as the precompile answers it.
    let result = match ExecuteInput::abi_decode(&bytes) {
        Some(input) => input.verify(host).map_err(|e| e.to_string()),
        None => Err("input is not abi.encode(bytes32, bytes32, bytes, uint64)".to_string()),
    };
    if let (Err(reason), true) = (&result, args.explain) {
        eprintln!("false: {reason}");
    }
    println!(
        "{}",
        alloy_primitives::hex::encode_prefixed(abi_bool(result.is_ok()))
    );
    Ok(ExitCode::SUCCESS)
}

fn scenario(l1_timestamp: u64, out: &Path) -> Result<ExitCode> {
    let json = bisect::scenario::standard(l1_timestamp)?;
    std::fs::write(out, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
