//! Waiting for a quiet moment: an action that runs once nothing new has
//! asked for it for a while (the form's saves wait for the typing to stop).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gtk::glib;

pub struct Debounce {
    quiet: Duration,
    /// The timeout that runs the waiting action. The timeout takes it out
    /// itself when it fires, so that a source that is gone is never removed.
    pending: Rc<Cell<Option<glib::SourceId>>>,
}

impl Debounce {
    pub fn new(quiet: Duration) -> Debounce {
        Debounce {
            quiet,
            pending: Rc::default(),
        }
    }

    /// Runs `action` after the quiet period, unless it is scheduled again
    /// (or cancelled) before: then the waiting one is dropped.
    pub fn schedule(&self, action: impl FnOnce() + 'static) {
        self.cancel();
        let pending = Rc::clone(&self.pending);
        let source = glib::timeout_add_local_once(self.quiet, move || {
            pending.take();
            action();
        });
        self.pending.set(Some(source));
    }

    pub fn cancel(&self) {
        if let Some(source) = self.pending.take() {
            source.remove();
        }
    }
}

impl Drop for Debounce {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Runs the default main context for `time`.
    fn run_for(time: Duration) {
        let context = glib::MainContext::default();
        let end = Instant::now() + time;
        while Instant::now() < end {
            while context.iteration(false) {}
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn only_the_last_of_a_burst_runs_and_a_cancelled_one_never() {
        let context = glib::MainContext::default();
        let _owner = context.acquire().expect("the default main context");
        let runs = Rc::new(Cell::new(Vec::new()));
        let record = |n: u32| {
            let runs = Rc::clone(&runs);
            move || {
                let mut seen = runs.take();
                seen.push(n);
                runs.set(seen);
            }
        };

        let debounce = Debounce::new(Duration::from_millis(100));
        for n in 1..=5 {
            debounce.schedule(record(n));
            run_for(Duration::from_millis(20));
        }
        assert_eq!(
            runs.take(),
            Vec::<u32>::new(),
            "ran before the quiet period"
        );
        run_for(Duration::from_millis(300));
        assert_eq!(runs.take(), [5]);

        debounce.schedule(record(6));
        debounce.cancel();
        debounce.cancel();
        let dropped = Debounce::new(Duration::from_millis(10));
        dropped.schedule(record(7));
        drop(dropped);
        run_for(Duration::from_millis(300));
        assert_eq!(runs.take(), Vec::<u32>::new());

        // Once it ran, cancelling and scheduling again work as before.
        debounce.schedule(record(8));
        run_for(Duration::from_millis(300));
        debounce.cancel();
        debounce.schedule(record(9));
        run_for(Duration::from_millis(300));
        assert_eq!(runs.take(), [8, 9]);
    }
}
