//! `toolkit network` is a standalone network a watchtower can be pointed at: the command line
//! it prints is run as printed (the operator's `challenger` binary, beside the toolkit's), and
//! the watchtower catches the proposer's lie. The `cast send` it prints moves L2 ether from a
//! free dev key, through real Foundry `cast` waiting for its receipt on the L2; viem and ethers
//! run a dapp's everyday flows (`clients/dapp.mjs`) on both chains, `forge script
//! --broadcast` deploys on the L2, and every L1 block verifies through `toolkit execute
//! verify-block` from the devnet's `debug_executionWitness`. `toolkit rpc-hostile` gets the
//! standard error for every hostile body on both chains, and 2,000 connections at once served.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Moves the devnet's clock `seconds` ahead.
fn warp(url: &str, seconds: u64) {
    let provider = alloy_provider::ProviderBuilder::new().connect_http(url.parse().unwrap());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(testnet::advance_time(&provider, seconds))
        .unwrap();
}

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

/// Starts `toolkit network` with `args` and returns it with the lines it printed.
fn network(args: &[&str]) -> (Killed, Vec<String>) {
    let mut network = Command::new(env!("CARGO_BIN_EXE_toolkit"))
        .args(["network", "--port", &free_port(), "--l2-port", &free_port()])
        .args(["--interval-ms", "300"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(network.stdout.take().unwrap());
    let network = Killed(network);
    let mut printed = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let done = line.starts_with("Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    (network, printed)
}

/// The word after `label` on the line that starts with it (an endpoint's URL).
fn after(printed: &[String], label: &str) -> String {
    printed
        .iter()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label:?} in {printed:#?}"))
        .to_string()
}

/// Free dev key `i`'s private key as printed.
fn free_key(printed: &[String], i: usize) -> String {
    printed
        .iter()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(&i.to_string()))
                .then(|| words.nth(1))
                .flatten()
        })
        .unwrap_or_else(|| panic!("no key {i} in {printed:#?}"))
        .to_string()
}

/// The arguments of the toolkit command the network printed on the line starting with `prefix`
/// (after any `VAR=value` words before `toolkit`).
fn toolkit_args(printed: &[String], prefix: &str) -> Vec<String> {
    let line = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {printed:#?}"));
    let mut words = line
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .skip_while(|w| w.contains('='));
    assert_eq!(words.next(), Some("toolkit"));
    words.map(str::to_string).collect()
}

/// The toolkit command the network printed as `VAR=<key> toolkit ...`, run with `key` in `VAR`
/// (so another account than the user's pays its gas).
fn printed_toolkit(printed: &[String], var: &str, key: String) -> impl Fn() -> Output {
    let args = toolkit_args(printed, &format!("{var}="));
    let var = var.to_string();
    move || {
        Command::new(env!("CARGO_BIN_EXE_toolkit"))
            .args(&args)
            .env(&var, &key)
            .output()
            .unwrap()
    }
}

/// What the printed toolkit command on the line starting with `prefix` prints, once it succeeds.
fn printed_output(printed: &[String], prefix: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_toolkit"))
        .args(toolkit_args(printed, prefix))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{prefix}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn viem_ethers_and_forge_script_work_on_both_chains() {
    let (network, printed) = network(&["--load-gas", "0"]);
    let l1 = after(&printed, "L1 devnet with EXECUTE");
    let l2 = after(&printed, "L2 sequencer JSON-RPC");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dapp = |name: &str, url: &str, chain: &str, key: &str| {
        run(
            Command::new("node").current_dir(&repo).args([
                "clients/dapp.mjs",
                name,
                url,
                chain,
                key,
            ]),
            &format!("the dapp on {name}"),
        );
    };
    dapp("L1", &l1, "31337", &free_key(&printed, 3));
    dapp("L2", &l2, "901", &free_key(&printed, 4));
    run(
        Command::new(testnet::foundry_tool("forge"))
            .current_dir(repo.join("contracts"))
            .args(["script", "script/Deploy.s.sol:Deploy", "--broadcast"])
            .args(["--rpc-url", &l2, "--private-key", &free_key(&printed, 5)]),
        "forge script --broadcast on the L2",
    );
    // Every L1 block so far (deployments, blob batches, claims, the dapp's transactions)
    // verifies statelessly through EXECUTE from the devnet's own debug_executionWitness.
    let head = Command::new(testnet::foundry_tool("cast"))
        .args(["block-number", "--rpc-url", &l1])
        .output()
        .unwrap();
    let head: u64 = String::from_utf8_lossy(&head.stdout)
        .trim()
        .parse()
        .unwrap();
    let mut with_transactions = 0;
    for number in 1..=head {
        let out = Command::new(env!("CARGO_BIN_EXE_toolkit"))
            .args(["execute", "verify-block", "--rpc", &l1])
            .args(["--block", &number.to_string()])
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && printed.contains("EXECUTE: true"),
            "L1 block {number}:\n{printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        with_transactions += usize::from(!printed.contains(": 0 transactions"));
    }
    assert!(
        with_transactions >= 5,
        "{with_transactions} of {head} blocks"
    );
    drop(network);
}

#[test]
fn a_watchtower_run_as_printed_catches_the_networks_lying_proposer() {
    let exe = env!("CARGO_BIN_EXE_toolkit");
    let challenger = testnet::challenger_beside(exe.as_ref()).unwrap();
    let (network, printed) = network(&["--lie", "drop:4:0", "--load-gas", "500000"]);
    let run_line = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("CHALLENGER_KEY="))
        .unwrap_or_else(|| panic!("no command line for the watchtower in {printed:#?}"));
    let games_line = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("challenger games "))
        .expect("a games command line");
    // A user acts on the L2 at once: a free dev key holds L2 ether, and cast's transfer lands.
    let send_line = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("cast send "))
        .expect("a cast send command line");
    let send: Vec<&str> = send_line
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let cast = testnet::foundry_tool("cast");
    let sent = Command::new(&cast)
        .arg("send")
        .args(&send)
        .args(["--json", "--timeout", "60"])
        .output()
        .unwrap_or_else(|e| panic!("cast at {}: {e}", cast.display()));
    assert!(
        sent.status.success(),
        "cast send on the L2: {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let receipt: serde_json::Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let l2_url = send[1];
    let balance = Command::new(&cast)
        .args(["balance", "--rpc-url", l2_url, send[4]])
        .output()
        .unwrap();
    let balance: u128 = String::from_utf8_lossy(&balance.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        balance,
        1_001 * 10u128.pow(18),
        "1,000 at genesis and 1 sent"
    );

    let mut words = run_line.split_whitespace();
    let key = words.next().unwrap();
    assert_eq!(words.next(), Some("challenger"));
    let state = tempfile::tempdir().unwrap();
    let args: Vec<String> = words
        .map(|w| match w {
            "./challenger-data" => state.path().display().to_string(),
            w => w.to_string(),
        })
        .collect();
    let watchtower = Killed(
        Command::new(&challenger)
            .args(&args)
            .args(["--interval-ms", "250"])
            .env("CHALLENGER_KEY", key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Nobody defends the lie: the challenger wins once the proposer's clock (600 s) is out.
    let games = || {
        let args: Vec<&str> = games_line.split_whitespace().collect();
        testnet::games_table(&challenger, &args).unwrap()
    };
    let started = Instant::now();
    let mut warped = false;
    loop {
        let table = games();
        if table.contains("challenger won") {
            break;
        }
        if !warped && table.contains("open") {
            let url = games_line.split_whitespace().nth(1).unwrap();
            warp(url, 601);
            warped = true;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the lie was not caught:\n{table}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(watchtower);
    drop(network);
}

/// The bridge's round trip with the printed command lines: a deposit from L1 (`cast send` to the
/// inbox) credited on the L2, a withdrawal on the L2 (`cast send` to the predeploy), and, once a
/// claim covering it is past its window, `toolkit bridge withdraw` paying it on L1, once
/// (`toolkit bridge withdrawals` listing it before and after); then a message, relayed once.
#[test]
fn a_deposit_and_a_withdrawal_make_the_round_trip() {
    let (network, printed) = network(&["--load-gas", "200000"]);
    let l1_url = after(&printed, "L1 devnet with EXECUTE");
    let l2_url = after(&printed, "L2 sequencer JSON-RPC");
    let cast = testnet::foundry_tool("cast");
    let send = |words: &[String], what: &str| {
        let sent = Command::new(&cast)
            .arg("send")
            .args(words)
            .args(["--json", "--timeout", "60"])
            .output()
            .unwrap();
        assert!(
            sent.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&sent.stderr)
        );
        let receipt: serde_json::Value = serde_json::from_slice(&sent.stdout).unwrap();
        assert_eq!(receipt["status"], "0x1", "{what}: {receipt}");
    };
    let sends: Vec<&String> = printed
        .iter()
        .filter(|l| l.trim().starts_with("cast send "))
        .collect();
    let words_of = |needle: &str| {
        let l = sends
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no cast send with {needle} in {printed:#?}"));
        shell_words(
            l.trim()
                .strip_prefix("cast send ")
                .unwrap()
                .split('#')
                .next()
                .unwrap(),
        )
    };

    // L1 -> L2.
    let deposit = words_of("deposit(address)");
    let user = deposit[deposit.len() - 3].clone();
    let before = balance(&cast, &l2_url, &user);
    send(&deposit, "cast send deposit on L1");
    let started = Instant::now();
    while balance(&cast, &l2_url, &user) != before + 10u128.pow(18) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the deposit was not credited on the L2"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let other = toolkit_args(&printed, "DEPOSIT_KEY=")
        .iter()
        .skip_while(|w| *w != "--to")
        .nth(1)
        .unwrap()
        .clone();
    let before = balance(&cast, &l2_url, &other);
    let deposit = printed_toolkit(&printed, "DEPOSIT_KEY", free_key(&printed, 4));
    let out = deposit();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("deposit 1 queued") && said.contains("0.25"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    while balance(&cast, &l2_url, &other) != before + 25 * 10u128.pow(16) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the toolkit's deposit was not credited on the L2"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // L2 -> L1.
    send(
        &words_of("withdraw(address)"),
        "cast send withdraw on the L2",
    );
    let on_l1 = balance(&cast, &l1_url, &user);
    let listed = printed_output(&printed, "toolkit bridge withdrawals");
    assert!(
        listed.contains("withdrawal 0: 0.5") && listed.contains("1 withdrawal(s)"),
        "{listed}"
    );
    // Another account pays the gas, so the user's L1 balance is exact.
    let toolkit = printed_toolkit(&printed, "WITHDRAW_KEY", free_key(&printed, 2));
    let started = Instant::now();
    loop {
        let out = toolkit();
        if out.status.success() {
            // The finalization's L1 gas, for docs/protocol.md (shown with --nocapture).
            eprint!("{}", String::from_utf8_lossy(&out.stdout));
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("window is open") {
            warp(&l1_url, 3_601);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the withdrawal was not paid: {err}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        balance(&cast, &l1_url, &user),
        on_l1 + 5 * 10u128.pow(17),
        "half an ether paid on L1"
    );
    let again = toolkit();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("paid already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let listed = printed_output(&printed, "toolkit bridge withdrawals");
    assert!(
        listed.contains("in L2 block") && listed.contains(": paid"),
        "{listed}"
    );

    // An L1 -> L2 call: the message's value reaches its target only through the relay.
    let message = words_of("depositCall(address,bytes)");
    let target = message[message.len() - 4].clone();
    let before = balance(&cast, &l2_url, &target);
    send(&message, "cast send depositCall on L1");
    let toolkit = printed_toolkit(&printed, "RELAY_KEY", free_key(&printed, 3));
    let started = Instant::now();
    loop {
        let out = toolkit();
        if out.status.success() {
            // The relay's L2 gas, for docs/protocol.md (shown with --nocapture).
            eprint!("{}", String::from_utf8_lossy(&out.stdout));
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("not credited yet") && started.elapsed() < Duration::from_secs(60),
            "the message was not relayed: {err}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        balance(&cast, &l2_url, &target),
        before + 10u128.pow(17),
        "the message's call moved its tenth of an ether on the L2"
    );
    let again = toolkit();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("relayed already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let listed = printed_output(&printed, "toolkit bridge messages");
    assert!(
        listed.contains("message 0: a call of") && listed.contains(": relayed"),
        "{listed}"
    );
    drop(network);
}

#[test]
fn hostile_json_rpc_gets_standard_errors_and_both_chains_keep_serving() {
    let (network, printed) = network(&["--load-gas", "0"]);
    let pid = network.0.id().to_string();
    // The two servers' body limits (devnet/src/server.rs, sequencer/src/rpc.rs).
    for (label, limit) in [
        ("L1 devnet with EXECUTE", 64 << 20),
        ("L2 sequencer JSON-RPC", 4 << 20),
    ] {
        let url = after(&printed, label);
        let addr = url.trim_start_matches("http://");
        let out = Command::new(env!("CARGO_BIN_EXE_toolkit"))
            .args(["rpc-hostile", "--addr", addr, "--pid", &pid])
            .args(["--body-limit", &limit.to_string(), "--connections", "2000"])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !report.contains("FAIL"),
            "{label}:\n{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            report.contains("2000 connections open at once, 2000 answered"),
            "{report}"
        );
    }
    drop(network);
}

/// Words of a printed command line: split at spaces, with `'...'` kept as one word.
fn shell_words(line: &str) -> Vec<String> {
    line.split('\'')
        .enumerate()
        .flat_map(|(i, part)| {
            if i % 2 == 1 {
                vec![part.to_string()]
            } else {
                part.split_whitespace().map(str::to_string).collect()
            }
        })
        .collect()
}

/// `cast balance` of `address` on the chain at `url`, in wei.
fn balance(cast: &std::path::Path, url: &str, address: &str) -> u128 {
    let out = Command::new(cast)
        .args(["balance", "--rpc-url", url, address])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}
