//! The Changes record on a large project, against a plain directory walk
//! in the same run: makes a tree of FILES small files (1,000 folders), then
//! alternately times a walk that only reads every folder and `stat`s every
//! entry (the least any manifest costs), Paddock's note of the project as a
//! run's start, and, after an agent-like edit of a few files, the note of
//! the project now plus the comparison. Prints JSON for benches/bench.py.
//!
//! `cargo run --release -p paddock-sandbox --example changes_walk -- [FILES] [RUNS]`

use std::path::Path;
use std::time::Instant;

use paddock_sandbox::changes::{Manifest, TEXT_BUDGET, compare};

fn walk(dir: &Path) -> u64 {
    let mut count = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        count += 1;
        if meta.is_dir() {
            count += walk(&entry.path());
        }
    }
    count
}

fn main() {
    let mut args = std::env::args().skip(1);
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().expect("a temp folder");
    let root = dir.path().join("project");
    let per_folder = 100;
    for i in 0..files {
        let folder = root.join(format!("src/m{:04}", i / per_folder));
        if i % per_folder == 0 {
            std::fs::create_dir_all(&folder).expect("folder");
        }
        std::fs::write(folder.join(format!("f{i}.rs")), format!("fn f{i}() {{}}\n")).expect("file");
    }
    std::fs::create_dir_all(root.join(".git/hooks")).expect("git");
    std::fs::write(root.join(".git/config"), "[core]\n").expect("config");
    std::fs::write(root.join("Makefile"), "all:\n").expect("Makefile");

    let (mut baseline, mut note, mut check) = (Vec::new(), Vec::new(), Vec::new());
    let mut changed = 0;
    for run in 0..=runs {
        let started = Instant::now();
        let entries = walk(&root);
        let walked = started.elapsed().as_secs_f64();
        assert!(entries as usize >= files);

        let started = Instant::now();
        let before = Manifest::note(&root, TEXT_BUDGET).expect("note");
        let noted = started.elapsed().as_secs_f64();

        for i in 0..10 {
            let file = root.join(format!("src/m{:04}/f{}.rs", i, i * per_folder));
            std::fs::write(file, format!("fn changed{run}() {{}}\n")).expect("edit");
        }
        std::fs::write(root.join("Makefile"), format!("all:\n\techo {run}\n")).expect("Makefile");

        let started = Instant::now();
        let now = Manifest::note(&root, 0).expect("note now");
        let changes = compare(&before, &now, &root);
        let compared = started.elapsed().as_secs_f64();
        changed = changes.files.len();
        // The first round warms the caches.
        if run > 0 {
            baseline.push(walked);
            note.push(noted);
            check.push(compared);
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "files": files,
            "changed": changed,
            "walk": baseline,
            "note": note,
            "compare": check,
        })
    );
}
