//! The entrypoint's first line (`paddock-sandbox guest-kernel=...`) is the
//! sandbox's isolation report for the verdict in the header, not the agent's
//! output: the terminal holds output back until the engine has read that
//! line, then shows what follows it.

/// Output on its way to the terminal of a run that starts with a report.
pub struct ReportLine {
    /// Everything received until the verdict arrived; `None` once released.
    held: Option<Vec<u8>>,
}

impl ReportLine {
    /// `expected`: the terminal was attached before the sandbox started,
    /// so its output begins with the report (a reattach joins mid-stream).
    pub fn new(expected: bool) -> ReportLine {
        ReportLine {
            held: expected.then(Vec::new),
        }
    }

    /// The output to show now: nothing while the report is being read.
    pub fn output(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        match &mut self.held {
            Some(held) => {
                held.extend_from_slice(&bytes);
                Vec::new()
            }
            None => bytes,
        }
    }

    /// The engine read the first line: `is_report` tells whether it was the
    /// report (dropped with its line end) or something else (shown as is).
    pub fn verdict(&mut self, is_report: bool) -> Vec<u8> {
        let held = self.held.take().unwrap_or_default();
        if !is_report {
            return held;
        }
        match held.iter().position(|&byte| byte == b'\n') {
            Some(end) => held[end + 1..].to_vec(),
            None => Vec::new(),
        }
    }

    /// The output ended before a verdict: whatever was held is shown.
    pub fn finish(&mut self) -> Vec<u8> {
        self.held.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::ReportLine;

    #[test]
    fn the_report_is_dropped_and_what_follows_it_is_shown() {
        let mut line = ReportLine::new(true);
        assert!(
            line.output(b"paddock-sandbox guest-kernel=6.12 ".to_vec())
                .is_empty()
        );
        assert!(
            line.output(b"uid=1000 isolation=microvm\r\nhello".to_vec())
                .is_empty()
        );
        assert_eq!(line.verdict(true), b"hello");
        assert_eq!(line.output(b" world".to_vec()), b" world");
        assert!(line.finish().is_empty());
    }

    #[test]
    fn other_first_lines_are_shown_whole() {
        let mut line = ReportLine::new(true);
        assert!(line.output(b"not a report\nmore".to_vec()).is_empty());
        assert_eq!(line.verdict(false), b"not a report\nmore");
    }

    #[test]
    fn a_reattach_shows_everything_and_an_early_end_loses_nothing() {
        let mut reattached = ReportLine::new(false);
        assert_eq!(reattached.output(b"tick".to_vec()), b"tick");
        let mut ended = ReportLine::new(true);
        assert!(ended.output(b"partial".to_vec()).is_empty());
        assert_eq!(ended.finish(), b"partial");
    }
}
