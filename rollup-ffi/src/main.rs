//! `rollup-ffi`: what the contracts' Foundry tests call through `vm.ffi`, in a binary that links
//! EXECUTE and the rollup's rules only.

use std::process::ExitCode;

use clap::Parser;
use rollup_ffi::FfiCommand;

#[derive(Parser)]
#[command(
    name = "rollup-ffi",
    version,
    about = "EXECUTE, blob proofs and the dispute scenario for Foundry's vm.ffi"
)]
struct Cli {
    #[command(subcommand)]
    command: FfiCommand,
}

fn main() -> ExitCode {
    match rollup_ffi::run(Cli::parse().command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
