use std::io::IsTerminal;
use std::process::ExitCode;

use gettextrs::gettext;

use host::preflight::{self, Check, Probe, Report, State};
use host::selftest::{self, Outcome, SelfTest, SelfTestReport};

#[derive(Debug, clap::Args)]
#[command(about = gettext("Check that this machine can run sandboxes, and say how to fix what is missing"))]
pub struct Args {
    #[arg(long, help = gettext("Print the checks as JSON"))]
    pub json: bool,
    #[arg(long, help = gettext("Perform the fixes Paddock can do itself (such as starting podman's socket), then check again"))]
    pub fix: bool,
    #[arg(long, conflicts_with = "fix", help = gettext("Start throw-away sandboxes and check their isolation, size, mounts and network on this computer; the result is kept for the system check"))]
    pub selftest: bool,
}

pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return super::fail(err),
    };
    runtime.block_on(doctor(args))
}

async fn doctor(args: Args) -> ExitCode {
    if args.selftest {
        return self_test(args.json).await;
    }
    let probe = Probe::from_env();
    let mut report = preflight::run(&probe).await;
    if args.fix {
        let actions = report.actions();
        if actions.is_empty() && !args.json {
            println!("{}", gettext("Nothing Paddock can fix by itself."));
        }
        for action in actions {
            match preflight::perform(action).await {
                Ok(()) => {
                    if !args.json {
                        println!(
                            "{}",
                            gettext("{action}: done").replace("{action}", &action.label())
                        );
                    }
                }
                Err(err) => eprintln!("paddock: {err}"),
            }
        }
        report = preflight::run(&probe).await;
    }
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(err) => return super::fail(err),
        }
    } else {
        let style = Style::detect();
        print!("{}", render(&report, &style));
    }
    if report.is_blocking() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the self-test, keeps its result and prints it; fails when any check
/// failed.
async fn self_test(json: bool) -> ExitCode {
    if !json {
        eprintln!(
            "{}",
            gettext("paddock: running the self-test (throw-away sandboxes)…")
        );
    }
    let report = match SelfTest::default().run().await {
        Ok(report) => report,
        Err(err) => return super::fail(err),
    };
    if let Err(err) = selftest::save(&report) {
        eprintln!(
            "paddock: {}",
            gettext("the self-test's result could not be kept: {error}")
                .replace("{error}", &err.to_string())
        );
    }
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(err) => return super::fail(err),
        }
    } else {
        print!("{}", render_self_test(&report, &Style::detect()));
    }
    if report.failed().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn render_self_test(report: &SelfTestReport, style: &Style) -> String {
    let outcomes = [Outcome::Passed, Outcome::Failed, Outcome::NotApplicable];
    let columns = Columns::new(
        outcomes
            .iter()
            .map(|outcome| selftest::outcome_label(*outcome)),
        report.checks.iter().map(|check| check.title.as_str()),
        style,
    );
    let mut out = report
        .to_text()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    out.push_str("\n\n");
    for check in &report.checks {
        let state = match check.outcome {
            Outcome::Passed => State::Ok,
            Outcome::Failed => State::Blocking,
            Outcome::NotApplicable => State::NotChecked,
        };
        out.push_str(&columns.row(
            style,
            state,
            &selftest::outcome_label(check.outcome),
            &check.title,
            &check.measured,
        ));
        if let Some(fix) = &check.fix {
            out.push_str(&columns.under(&gettext("Fix: {text}").replace("{text}", fix)));
        }
    }
    out.push('\n');
    let failed = report.failed().count();
    out.push_str(&if report.isolation_failed() {
        gettext("Not a microVM: sandboxes on this computer are not isolated by a VM.")
    } else if failed == 0 {
        gettext("Every check passed.")
    } else {
        gettext("{failed} check(s) failed.").replace("{failed}", &failed.to_string())
    });
    out.push('\n');
    out
}

/// Colour and wrapping: only when a person reads it on a terminal.
struct Style {
    colour: bool,
    width: Option<usize>,
}

impl Style {
    fn detect() -> Style {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return Style {
                colour: false,
                width: None,
            };
        }
        let width = rustix::termios::tcgetwinsize(&stdout)
            .ok()
            .map(|size| usize::from(size.ws_col))
            .filter(|columns| *columns >= 40);
        Style {
            colour: std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
            width: width.or(Some(100)),
        }
    }

    fn paint(&self, state: State, text: &str) -> String {
        if !self.colour {
            return text.to_owned();
        }
        let code = match state {
            State::Ok => "32",
            State::NotChecked => "2",
            State::Warning => "33",
            State::Blocking => "1;31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

fn state_label(state: State) -> String {
    match state {
        State::Ok => gettext("ok"),
        State::NotChecked => gettext("not checked"),
        State::Warning => gettext("warning"),
        State::Blocking => gettext("blocking"),
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Splits `text` into lines of at most `width` characters at spaces (a word
/// longer than that gets a line of its own).
fn wrap(text: &str, width: Option<usize>) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_owned()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && self::width(&line) + 1 + self::width(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn render(report: &Report, style: &Style) -> String {
    let states = [
        State::Ok,
        State::NotChecked,
        State::Warning,
        State::Blocking,
    ];
    let columns = Columns::new(
        states.iter().map(|state| state_label(*state)),
        report.checks.iter().map(|check| check.title.as_str()),
        style,
    );

    let mut out = format!("{}\n\n", gettext("Paddock system check"));
    for check in &report.checks {
        out.push_str(&render_check(check, style, &columns));
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn render_check(check: &Check, style: &Style, columns: &Columns) -> String {
    let mut out = columns.row(
        style,
        check.state,
        &state_label(check.state),
        &check.title,
        &check.found,
    );
    if let Some(fix) = &check.fix {
        out.push_str(&columns.under(&gettext("Fix: {text}").replace("{text}", &fix.text)));
        if let Some(command) = &fix.command {
            out.push_str(&format!("{}    {command}\n", columns.indent));
        }
        if fix.action.is_some() {
            out.push_str(&format!(
                "{}{}\n",
                columns.indent,
                gettext("(`paddock doctor --fix` does this for you)")
            ));
        }
    }
    out
}

fn summary(report: &Report) -> String {
    let blocking = report.in_state(State::Blocking).count();
    let warnings = report.in_state(State::Warning).count();
    match (blocking, warnings) {
        (0, 0) => gettext("Everything is ready for microVM sandboxes."),
        (0, warnings) => gettext("Sandboxes can run; {warnings} warning(s) above.")
            .replace("{warnings}", &warnings.to_string()),
        (blocking, _) => gettext(
            "{blocking} blocking problem(s): no microVM sandbox can run until they are fixed.",
        )
        .replace("{blocking}", &blocking.to_string()),
    }
}

/// A report's layout: a state or outcome label, the check's title, then its
/// text, wrapped to the terminal and indented under the text's column.
struct Columns {
    label: usize,
    title: usize,
    indent: String,
    text: Option<usize>,
}

impl Columns {
    fn new<'a>(
        labels: impl Iterator<Item = String>,
        titles: impl Iterator<Item = &'a str>,
        style: &Style,
    ) -> Columns {
        let label = labels.map(|label| width(&label)).max().unwrap_or(0);
        let title = titles.map(width).max().unwrap_or(0);
        let indent = " ".repeat(2 + label + 2 + title + 2);
        let text = style
            .width
            .map(|columns| columns.saturating_sub(indent.len()).max(30));
        Columns {
            label,
            title,
            indent,
            text,
        }
    }

    /// One check: its label in `state`'s colour, its title, its text.
    fn row(&self, style: &Style, state: State, label: &str, title: &str, text: &str) -> String {
        let padded = format!("{label}{}", " ".repeat(self.label - width(label)));
        let title = format!("{title}{}", " ".repeat(self.title - width(title)));
        let mut out = String::new();
        for (i, line) in wrap(text, self.text).iter().enumerate() {
            if i == 0 {
                out.push_str(&format!(
                    "  {}  {title}  {line}\n",
                    style.paint(state, &padded)
                ));
            } else {
                out.push_str(&format!("{}{line}\n", self.indent));
            }
        }
        out
    }

    /// More text in the text's column.
    fn under(&self, text: &str) -> String {
        wrap(text, self.text)
            .iter()
            .map(|line| format!("{}{line}\n", self.indent))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_respects_the_width() {
        let lines = wrap("one two three four five", Some(9));
        assert_eq!(lines, ["one two", "three", "four five"]);
        assert_eq!(wrap("a b", None), ["a b"]);
        assert_eq!(
            wrap("averyveryverylongword x", Some(5)),
            ["averyveryverylongword", "x"]
        );
    }
}
