//! `paddock-gateway --policy FILE --address IP [--proxy-port N] [--https-port N]
//! [--http-port N] [--dns-port N] [--keys FILE]`: see the library's documentation.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

use paddock_gateway::{Config, Gateway, Keys, Limits, Ports, load_policy};
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "usage: paddock-gateway --policy FILE --address IP [--proxy-port N] [--https-port N] [--http-port N] [--dns-port N] [--keys FILE]
  --policy FILE   the network policy (JSON); re-read on SIGHUP
  --keys FILE     the key routes (JSON) and the files of their keys, read once
  --address IP    the gateway's IPv4 address on the sandbox's internal network:
                  every listener binds to it and the resolver answers it";

struct Args {
    policy: PathBuf,
    keys: Option<PathBuf>,
    config: Config,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut policy = None;
    let mut keys = None;
    let mut address = None;
    let mut ports = Ports::default();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let port = || {
            value
                .parse::<u16>()
                .map_err(|_| format!("{flag} {value:?}: not a port number"))
        };
        match flag.as_str() {
            "--policy" => policy = Some(PathBuf::from(&value)),
            "--keys" => keys = Some(PathBuf::from(&value)),
            "--address" => {
                address = Some(
                    value
                        .parse::<Ipv4Addr>()
                        .map_err(|_| format!("--address {value:?}: not an IPv4 address"))?,
                )
            }
            "--proxy-port" => ports.proxy = port()?,
            "--https-port" => ports.https = port()?,
            "--http-port" => ports.http = port()?,
            "--dns-port" => ports.dns = port()?,
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    Ok(Args {
        policy: policy.ok_or("--policy FILE is required")?,
        keys,
        config: Config {
            address: address.ok_or("--address IP is required")?,
            ports,
            limits: Limits::default(),
        },
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("paddock-gateway: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let policy = match load_policy(&args.policy) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("paddock-gateway: {message}; nothing is let through until it is fixed");
            return ExitCode::FAILURE;
        }
    };
    let keys = match args.keys.as_deref().map(Keys::load).transpose() {
        Ok(keys) => keys.unwrap_or_default(),
        Err(message) => {
            eprintln!("paddock-gateway: {message}; no key is sent until it is fixed");
            return ExitCode::FAILURE;
        }
    };
    raise_file_limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("paddock-gateway: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args, policy, keys))
}

async fn serve(args: Args, policy: paddock_gateway::Policy, keys: Keys) -> ExitCode {
    // Registered before the listeners are up, so that a SIGHUP sent as soon
    // as "ready" is seen is a reload and not the default (exit).
    let signals = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    let (Ok(mut hangup), Ok(mut terminate), Ok(mut interrupt)) = signals else {
        eprintln!("paddock-gateway: cannot handle signals");
        return ExitCode::FAILURE;
    };
    let (gateway, warnings) = match Gateway::start(args.config, policy, keys).await {
        Ok(started) => started,
        Err(error) => {
            eprintln!("paddock-gateway: {error}");
            return ExitCode::FAILURE;
        }
    };
    warn(&warnings);
    eprintln!("paddock-gateway: ready");
    loop {
        tokio::select! {
            _ = hangup.recv() => match load_policy(&args.policy) {
                Ok(policy) => {
                    warn(&gateway.reload(policy));
                    eprintln!("paddock-gateway: policy reloaded");
                }
                Err(message) => eprintln!("paddock-gateway: {message}; the previous policy stays in force"),
            },
            // As PID 1 of its container, the gateway must end itself: the
            // kernel does not apply default signal actions to it.
            _ = terminate.recv() => return ExitCode::SUCCESS,
            _ = interrupt.recv() => return ExitCode::SUCCESS,
        }
    }
}

/// A spliced connection holds six descriptors (two sockets, two pipes), so
/// the usual soft limit of 1024 would end below the connection limit; the
/// hard limit is what the container allows.
fn raise_file_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        rustix::process::Rlimit {
            current: limit.maximum,
            ..limit
        },
    );
}

fn warn(warnings: &[String]) {
    for warning in warnings {
        eprintln!("paddock-gateway: {warning}");
    }
}
