//! `challenger run --config FILE`: a TOML table of the command's settings, named as its flags
//! are (`l1-rpc = "http://…"`, `max-gas-price-gwei = 50`, `witness = ["http://…"]`). A flag on
//! the command line or its environment variable wins over the file. Keys are not settings: a
//! key stays in its own file (`key-file`) or in `CHALLENGER_KEY`.

use std::{ffi::OsString, path::PathBuf};

use anyhow::{bail, Context, Result};
use clap::{parser::ValueSource, ArgMatches, Command, CommandFactory, FromArgMatches};

/// Parses `args` as `P`'s command line, with `run`'s settings from its `--config` file where
/// neither a flag nor the environment gives them.
pub(crate) fn parse<P: CommandFactory + FromArgMatches>(args: Vec<OsString>) -> Result<P> {
    // A first look, lenient, since a required setting may be in the file.
    let lenient = P::command()
        .ignore_errors(true)
        .try_get_matches_from(&args)
        .ok();
    let config = lenient.as_ref().and_then(|m| match m.subcommand() {
        Some(("run", run)) => run.get_one::<PathBuf>("config").map(|p| (p.clone(), run)),
        _ => None,
    });
    let Some((path, run)) = config else {
        let matches = P::command().try_get_matches_from(&args).map_err(exit)?;
        return Ok(P::from_arg_matches(&matches)?);
    };
    let path = &path;
    let extra = file_args(
        P::command()
            .find_subcommand("run")
            .context("no run command")?,
        run,
        path,
    )?;
    let matches = P::command()
        .try_get_matches_from(args.into_iter().chain(extra))
        .map_err(|e| anyhow::anyhow!("with the settings of {}: {e}", path.display()))?;
    Ok(P::from_arg_matches(&matches)?)
}

/// Help and version requests print and exit as usual; other errors are returned.
fn exit(err: clap::Error) -> anyhow::Error {
    match err.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => err.exit(),
        _ => err.into(),
    }
}

/// The file's settings as flags, leaving out those given on the command line or in the
/// environment.
fn file_args(command: &Command, given: &ArgMatches, path: &PathBuf) -> Result<Vec<OsString>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not TOML", path.display()))?;
    let mut extra = Vec::new();
    for (key, value) in table {
        let arg = command
            .get_arguments()
            .filter(|a| a.get_id() != "config")
            .find(|a| a.get_long() == Some(key.as_str()))
            .with_context(|| format!("{}: unknown setting `{key}`", path.display()))?;
        if matches!(
            given.value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let values = match value {
            toml::Value::Array(items) => items,
            value => vec![value],
        };
        for value in values {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => bail!(
                    "{}: `{key}` must be a string, a number, a boolean or a list of them",
                    path.display()
                ),
            };
            extra.push(format!("--{key}={text}").into());
        }
    }
    Ok(extra)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Sub {
        Run {
            #[arg(long)]
            config: Option<PathBuf>,
            #[arg(long, default_value = "http://127.0.0.1:8545")]
            l1_rpc: String,
            #[arg(long, default_value_t = 2)]
            max_lag: u64,
            #[arg(long, value_delimiter = ',')]
            witness: Vec<String>,
            #[arg(long)]
            rollup: String,
        },
    }

    fn run(file: &str, flags: &[&str]) -> Result<Sub> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("challenger.toml");
        std::fs::write(&path, file)?;
        let mut args: Vec<OsString> = vec!["challenger".into(), "run".into()];
        args.push(format!("--config={}", path.display()).into());
        args.extend(flags.iter().map(OsString::from));
        Ok(parse::<Cli>(args)?.command)
    }

    #[test]
    fn the_file_fills_what_flags_leave_out() {
        let file = "l1-rpc = \"http://l1:8545\"\nmax-lag = 5\nrollup = \"0x01\"\n\
                    witness = [\"http://a\", \"http://b\"]\n";
        let Sub::Run {
            l1_rpc,
            max_lag,
            witness,
            rollup,
            ..
        } = run(file, &["--max-lag", "9"]).unwrap();
        assert_eq!(rollup, "0x01", "a required setting from the file");
        assert_eq!(l1_rpc, "http://l1:8545");
        assert_eq!(max_lag, 9, "the flag wins");
        assert_eq!(witness, ["http://a", "http://b"]);
    }

    #[test]
    fn bad_files_are_refused_naming_the_setting() {
        let err = run("max-lag = 1\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("--rollup"), "{err:#}");
        let err = run("private-key = \"0x01\"\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("unknown setting `private-key`"));
        let err = run("max-lag = \"many\"\nrollup = \"0x01\"\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("max-lag"), "{err:#}");
        let err = run("max-lag = { a = 1 }\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("`max-lag` must be"), "{err:#}");
        let err = run("max-lag = [\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("is not TOML"), "{err:#}");
    }
}
