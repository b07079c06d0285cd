//! Terminal throughput for benches/run: the same shell command's output fed
//! into a VTE terminal on screen, either from a sandbox through the engine's
//! attach stream (the way the app's terminal tab gets it: chunks from the
//! attach stream, batched on the tokio side, fed to VTE on the main loop) or
//! from a local PTY that VTE reads itself (the baseline). A GLib timeout
//! ticking every 10 ms measures how late the main loop gets while the output
//! pours in.
//!
//!     terminal_throughput attach|stream|pty SHELL-COMMAND
//!
//! `stream` reads the attach stream like `attach` but feeds nothing to VTE,
//! which tells the attach stream's own speed from the terminal's.
//!
//! Prints one JSON line: seconds from the first byte to the last one shown,
//! bytes received through the attach stream (0 for a PTY, which VTE reads
//! itself), how many main-loop wake-ups they took, the longest main-loop stall. Needs a display; `attach`
//! also needs podman and PADDOCK_TEST_BASE_IMAGE.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use engine::{Engine, Output};
use gtk::glib;
use gtk::prelude::*;
use sandbox::plan::{ContainerPlan, Gated, Isolation, SandboxNetwork};
use tokio::sync::mpsc;
use vte4::prelude::*;

const TICK: Duration = Duration::from_millis(10);
/// As many chunks as the app's terminal tab joins per main-loop wake-up.
const BATCH: usize = 256;

struct Measure {
    first: Cell<Option<Instant>>,
    bytes: Cell<u64>,
    /// Main-loop wake-ups that fed VTE.
    feeds: Cell<u64>,
    stall: Cell<Duration>,
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, command] = args.as_slice() else {
        eprintln!("usage: terminal_throughput attach|stream|pty SHELL-COMMAND");
        return std::process::ExitCode::from(2);
    };
    if let Err(error) = gtk::init() {
        eprintln!("no display: {error}");
        return std::process::ExitCode::FAILURE;
    }
    let terminal = vte4::Terminal::new();
    // As the app's terminal tab sets it up.
    terminal.set_scrollback_lines(10_000);
    terminal.set_scroll_on_output(false);
    let window = gtk::Window::builder()
        .default_width(1000)
        .default_height(700)
        .child(&terminal)
        .build();
    let main_loop = glib::MainLoop::new(None, false);
    let measure = Rc::new(Measure {
        first: Cell::new(None),
        bytes: Cell::new(0),
        feeds: Cell::new(0),
        stall: Cell::new(Duration::ZERO),
    });
    let failure = Rc::new(RefCell::new(None::<String>));

    let last_tick = Cell::new(Instant::now());
    {
        let measure = measure.clone();
        glib::timeout_add_local(TICK, move || {
            let now = Instant::now();
            let late = now
                .duration_since(last_tick.replace(now))
                .saturating_sub(TICK);
            if measure.first.get().is_some() && late > measure.stall.get() {
                measure.stall.set(late);
            }
            glib::ControlFlow::Continue
        });
    }

    // Everything shown: the main loop has drawn and gone idle after the last byte.
    let finish = {
        let main_loop = main_loop.clone();
        let measure = measure.clone();
        move || {
            let measure = measure.clone();
            let main_loop = main_loop.clone();
            glib::idle_add_local_full(glib::Priority::DEFAULT_IDLE, move || {
                let seconds = measure
                    .first
                    .get()
                    .map_or(0.0, |first| first.elapsed().as_secs_f64());
                println!(
                    "{{\"seconds\": {seconds:.6}, \"bytes\": {}, \"feeds\": {}, \"max_stall_ms\": {:.3}}}",
                    measure.bytes.get(),
                    measure.feeds.get(),
                    measure.stall.get().as_secs_f64() * 1000.0
                );
                main_loop.quit();
                glib::ControlFlow::Break
            });
        }
    };

    let start: Box<dyn FnOnce()> = match mode.as_str() {
        "pty" => {
            let terminal = terminal.clone();
            let measure = measure.clone();
            let command = command.clone();
            let finish = finish.clone();
            terminal.connect_contents_changed({
                move |_| {
                    if measure.first.get().is_none() {
                        measure.first.set(Some(Instant::now()));
                    }
                }
            });
            terminal.connect_child_exited(move |_, _| finish());
            Box::new(move || {
                terminal.spawn_async(
                    vte4::PtyFlags::DEFAULT,
                    None,
                    &["/bin/sh", "-c", &command],
                    &[],
                    glib::SpawnFlags::DEFAULT,
                    || {},
                    -1,
                    None::<&gtk::gio::Cancellable>,
                    |result| {
                        if let Err(error) = result {
                            eprintln!("spawning the local command failed: {error}");
                            std::process::exit(1);
                        }
                    },
                );
            })
        }
        "attach" | "stream" => {
            let feed = mode == "attach";
            let terminal = terminal.clone();
            let measure = measure.clone();
            let failure = failure.clone();
            let command = command.clone();
            Box::new(move || {
                let (sender, mut receiver) = mpsc::unbounded_channel::<Result<Vec<u8>, String>>();
                std::thread::spawn(move || attach_thread(command, sender));
                glib::spawn_future_local(async move {
                    while let Some(item) = receiver.recv().await {
                        match item {
                            Ok(bytes) => {
                                if measure.first.get().is_none() {
                                    measure.first.set(Some(Instant::now()));
                                }
                                measure.bytes.set(measure.bytes.get() + bytes.len() as u64);
                                measure.feeds.set(measure.feeds.get() + 1);
                                if feed {
                                    terminal.feed(&bytes);
                                }
                            }
                            Err(error) => {
                                failure.replace(Some(error));
                                break;
                            }
                        }
                    }
                    finish();
                });
            })
        }
        other => {
            eprintln!("mode must be attach, stream or pty, not {other:?}");
            return std::process::ExitCode::from(2);
        }
    };

    // Start once the terminal is on screen, so that drawing counts.
    let start = RefCell::new(Some(start));
    window.connect_map(move |_| {
        if let Some(start) = start.borrow_mut().take() {
            glib::idle_add_local_once(start);
        }
    });
    window.present();
    main_loop.run();
    if let Some(error) = failure.borrow().as_ref() {
        eprintln!("attach failed: {error}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

/// The sandbox side on its own tokio runtime: create a sandbox with a
/// terminal, attach before start (as the app does), forward output in batches.
fn attach_thread(command: String, sender: mpsc::UnboundedSender<Result<Vec<u8>, String>>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = sender.send(Err(error.to_string()));
            return;
        }
    };
    let name = format!("paddock-bench-terminal-{}", std::process::id());
    let result = runtime.block_on(async {
        let engine = Engine::connect().await.map_err(|e| e.to_string())?;
        let outcome = stream(&engine, &name, command, &sender).await;
        let _ = engine.remove(&name, false).await;
        outcome
    });
    if let Err(error) = result {
        let _ = sender.send(Err(error));
    }
}

async fn stream(
    engine: &Engine,
    name: &str,
    command: String,
    sender: &mpsc::UnboundedSender<Result<Vec<u8>, String>>,
) -> Result<(), String> {
    let image = std::env::var("PADDOCK_TEST_BASE_IMAGE")
        .map_err(|_| "PADDOCK_TEST_BASE_IMAGE names the local busybox image".to_owned())?;
    // A benchmark's container made by hand (the `test-plans` feature).
    let plan = Gated::unchecked(ContainerPlan {
        name: name.to_owned(),
        image,
        entrypoint: vec!["/bin/sh".into(), "-c".into()],
        user: format!(
            "{}:{}",
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw()
        ),
        command: Some(vec![command]),
        workdir: "/".into(),
        env: BTreeMap::from([("TERM".to_owned(), "xterm-256color".to_owned())]),
        annotations: BTreeMap::new(),
        labels: BTreeMap::new(),
        binds: Vec::new(),
        volumes: Vec::new(),
        network: SandboxNetwork::None,
        isolation: Isolation::Container,
        limits: None,
        secrets: Default::default(),
    });
    engine
        .create(&plan, true, &BTreeMap::new())
        .await
        .map_err(|e| e.to_string())?;
    let session = engine
        .attach(name, false)
        .await
        .map_err(|e| e.to_string())?;
    let mut output = session.output;
    engine.start(&plan).await.map_err(|e| e.to_string())?;
    let (chunks, mut received) = mpsc::unbounded_channel::<Vec<u8>>();
    let forward = async move {
        while let Some(first) = received.recv().await {
            let mut batch = first;
            for _ in 1..BATCH {
                match received.try_recv() {
                    Ok(more) => batch.extend(more),
                    Err(_) => break,
                }
            }
            if sender.send(Ok(batch)).is_err() {
                break;
            }
        }
    };
    let read = async move {
        while let Some(item) = output.next().await {
            match item.map_err(|e| e.to_string())? {
                Output::Stdout(bytes) | Output::Stderr(bytes) => {
                    let _ = chunks.send(bytes);
                }
                Output::Verdict(_) => {}
            }
        }
        Ok::<(), String>(())
    };
    let (outcome, ()) = tokio::join!(read, forward);
    outcome?;
    engine.wait(name).await.map_err(|e| e.to_string())?;
    Ok(())
}
