//! `toolkit replay` and `toolkit fixtures generate`: dispute fixtures replayed end to end
//! on an embedded devnet, and rebuilt from their scenario descriptions.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use dispute_fixtures::{
    generate::{generate, Scenarios},
    inputs,
    replay::replay,
};
use indicatif::{ProgressBar, ProgressStyle};

/// The `.json` files under `paths` (files as given, directories searched recursively), sorted.
fn fixture_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            for entry in entries {
                // Not through symbolic links to directories: a loop would never end.
                let real_dir = std::fs::symlink_metadata(&entry)?.is_dir();
                if real_dir || (!entry.is_dir() && entry.extension().is_some_and(|e| e == "json")) {
                    files.extend(fixture_files(&[entry])?);
                }
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            bail!("{}: no such file or directory", path.display());
        }
    }
    Ok(files)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replays every fixture under `paths` with EXECUTE at `execute_price` or above; prints a line
/// per fixture and the totals. Fails if one does.
pub(crate) async fn replay_all(paths: &[PathBuf], execute_price: u64) -> Result<ExitCode> {
    let files = fixture_files(paths)?;
    if files.is_empty() {
        bail!("no fixtures (.json) under the paths given");
    }
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file.display().to_string();
        bar.set_message(name.clone());
        let started = Instant::now();
        let result = run_one(file, execute_price).await;
        let elapsed = started.elapsed().as_secs_f64();
        bar.suspend(|| match &result {
            Ok(line) => println!("ok    {name}: {line}, {elapsed:.1} s"),
            Err(err) => println!("FAIL  {name}: {err:#}"),
        });
        match result {
            Ok(_) => passed += 1,
            Err(_) => failed += 1,
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Replays one fixture; its summary line, or what differed.
async fn run_one(file: &Path, execute_price: u64) -> Result<String> {
    let fixture = inputs::load(file)?;
    let dir = tempfile::tempdir()?;
    let replayed = replay(&fixture, dir.path(), execute_price).await?;
    let mismatches = replayed.mismatches(&fixture.expect);
    if !mismatches.is_empty() {
        bail!("{}", mismatches.join("; "));
    }
    let games: Vec<String> = replayed
        .outcome
        .games
        .iter()
        .map(|g| {
            let end = match g.winner {
                Some(side) => format!("{side:?} won"),
                None => "cancelled".to_string(),
            };
            format!(
                "claim {} -> block {} position {}, {:?}, {end}",
                g.claim, g.block, g.position, g.step
            )
        })
        .collect();
    let games = match games.len() {
        0 => "no game (all final)".to_string(),
        n => format!("{n} game ({})", games.join("; ")),
    };
    let forgeries: String = replayed
        .outcome
        .forgeries
        .iter()
        .map(|f| {
            format!(
                ", forged step in game {} refused ({}; EXECUTE alone answers {})",
                f.game, f.error, f.execute
            )
        })
        .collect();
    Ok(format!(
        "{} claims, {games}{forgeries}, {} moves, {} gas (largest {})",
        replayed.outcome.claims.len(),
        replayed.moves,
        thousands(replayed.gas),
        thousands(replayed.largest),
    ))
}

/// Rebuilds the fixtures of `scenarios` into `out`; with `check`, compares instead and fails on
/// any difference.
pub(crate) fn generate_all(scenarios: &Path, out: &Path, check: bool) -> Result<()> {
    let text = std::fs::read_to_string(scenarios)
        .with_context(|| format!("reading {}", scenarios.display()))?;
    let scenarios: Scenarios =
        toml::from_str(&text).with_context(|| format!("parsing {}", scenarios.display()))?;
    let fixtures = generate(&scenarios)?;
    let mut names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!("two scenarios are named {}", twice[0]);
    }
    let mut stale = Vec::new();
    for fixture in &fixtures {
        let path = out.join(format!("{}.json", fixture.name));
        let json = fixture.to_json();
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!(
            "fixtures differ from their scenarios (rebuild with `toolkit fixtures generate`): {}",
            stale.join(", ")
        );
    }
    if check {
        println!("{} fixtures match their scenarios", fixtures.len());
    }
    Ok(())
}
