//! The attempt log: one JSON line on stdout per connection or DNS question,
//! the only thing the gateway writes there.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// Which listener saw the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The HTTP proxy: CONNECT or an absolute-form `http://` request.
    Proxy,
    /// A client that ignored the proxy: port 443 (by SNI) or 80 (by Host).
    Transparent,
    /// A question to the gateway's resolver.
    Dns,
    /// A listener for an exact `host:port` entry.
    Tcp,
    /// A key route: the gateway added an API key on the way to its host.
    Key,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allowed,
    Blocked,
}

/// One log line, e.g.
/// `{"time":"2026-12-01T10:00:00.250Z","client":"10.89.0.3:41000","kind":"proxy","host":"example.org","port":443,"decision":"blocked","reason":"not_allowed"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    pub client: SocketAddr,
    pub kind: Kind,
    /// None when the client named no host that could be read.
    pub host: Option<String>,
    /// The destination port; None for DNS questions.
    pub port: Option<u16>,
    pub decision: Decision,
    /// Why it was blocked, or why an allowed attempt did not reach its host
    /// (`unresolved`, `unreachable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl Attempt {
    pub fn new(client: SocketAddr, kind: Kind, host: Option<String>, port: Option<u16>) -> Attempt {
        Attempt {
            time: rfc3339(SystemTime::now()),
            client,
            kind,
            host,
            port,
            decision: Decision::Allowed,
            reason: None,
        }
    }

    pub fn blocked(mut self, reason: Reason) -> Attempt {
        self.decision = Decision::Blocked;
        self.reason = Some(reason);
        self
    }

    /// Allowed, but it failed on the way to the host.
    pub fn failed(mut self, reason: Reason) -> Attempt {
        self.reason = Some(reason);
        self
    }

    /// Writes the line. A failed write (stdout closed) is ignored: the
    /// decision stands either way.
    pub fn write(&self) {
        if let Ok(mut line) = serde_json::to_vec(self) {
            line.push(b'\n');
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&line).and_then(|()| out.flush());
        }
    }
}

/// `time` as `2026-12-01T10:00:00.250Z`.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, counted in
/// 400-year eras that start on March 1st (so the leap day ends a year).
fn civil(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_utc_dates() {
        let at = |seconds: u64, millis: u64| {
            rfc3339(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        // `date -u -d @951825600`: the leap day of a year divisible by 400.
        assert_eq!(at(951_825_600, 5), "2000-02-29T12:00:00.005Z");
        assert_eq!(at(951_868_800, 0), "2000-03-01T00:00:00.000Z");
        assert_eq!(at(1_798_761_599, 999), "2026-12-31T23:59:59.999Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
    }

    #[test]
    fn a_line_reads_back() {
        let attempt = Attempt::new(
            "10.89.0.3:41000".parse().unwrap(),
            Kind::Proxy,
            Some("example.org".into()),
            Some(443),
        )
        .blocked(Reason::NotAllowed);
        let json = serde_json::to_string(&attempt).unwrap();
        assert!(json.contains(r#""kind":"proxy","host":"example.org","port":443,"decision":"blocked","reason":"not_allowed""#), "{json}");
        assert_eq!(serde_json::from_str::<Attempt>(&json).unwrap(), attempt);
        let allowed = Attempt::new("10.89.0.3:41000".parse().unwrap(), Kind::Dns, None, None);
        assert!(!serde_json::to_string(&allowed).unwrap().contains("reason"));
    }
}
