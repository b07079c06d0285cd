//! The resolver's wire format: one question in, one answer out (RFC 1035).
//! The gateway never asks another resolver, so this reads queries and writes
//! answers and nothing else.

use std::net::Ipv4Addr;

/// The largest DNS message read, over UDP or TCP. Queries are far smaller;
/// anything larger is not one.
pub const MAX_MESSAGE: usize = 4096;
/// How long clients may keep an answer: the answer is always the gateway.
const TTL: u32 = 60;
const HEADER: usize = 12;
const MAX_NAME: usize = 255;
pub const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;

pub const NOERROR: u8 = 0;
pub const NXDOMAIN: u8 = 3;
pub const REFUSED: u8 = 5;

/// A query's single question.
#[derive(Debug, PartialEq, Eq)]
pub struct Question {
    /// The labels as sent (the answer repeats them byte for byte, case
    /// included, as some resolvers check).
    labels: Vec<Vec<u8>>,
    pub kind: u16,
    class: u16,
}

impl Question {
    /// The name as text, or None when a label holds bytes that no host name
    /// has (dots, spaces, controls...).
    pub fn name(&self) -> Option<String> {
        let valid = |label: &Vec<u8>| {
            label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if self.labels.is_empty() || !self.labels.iter().all(valid) {
            return None;
        }
        let labels: Vec<&str> = self
            .labels
            .iter()
            .map(|l| std::str::from_utf8(l).unwrap_or_default())
            .collect();
        Some(labels.join("."))
    }
}

/// What a message turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Query {
    /// A standard query with one question of class IN.
    Question {
        id: u16,
        flags: u16,
        question: Question,
    },
    /// A query the resolver does not serve (other opcodes, several or no
    /// questions, other classes) or cannot read past its header: answered
    /// REFUSED.
    Refuse { id: u16, flags: u16 },
    /// No query at all (too short for a header, or a response): dropped
    /// without an answer, so that nothing can bounce answers off it.
    Drop,
}

pub fn parse(message: &[u8]) -> Query {
    if message.len() < HEADER || message.len() > MAX_MESSAGE {
        return Query::Drop;
    }
    let id = u16::from_be_bytes([message[0], message[1]]);
    let flags = u16::from_be_bytes([message[2], message[3]]);
    let is_response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xf;
    let questions = u16::from_be_bytes([message[4], message[5]]);
    if is_response {
        return Query::Drop;
    }
    let refuse = Query::Refuse { id, flags };
    if opcode != 0 || questions != 1 {
        return refuse;
    }
    let Some((labels, end)) = read_name(message, HEADER) else {
        return refuse;
    };
    let Some(fixed) = message.get(end..end + 4) else {
        return refuse;
    };
    let question = Question {
        labels,
        kind: u16::from_be_bytes([fixed[0], fixed[1]]),
        class: u16::from_be_bytes([fixed[2], fixed[3]]),
    };
    if question.class != CLASS_IN {
        return refuse;
    }
    Query::Question {
        id,
        flags,
        question,
    }
}

/// Reads a name starting at `at`: its labels and where the question goes on.
/// Each compression pointer must point before the place the previous jump
/// (or the name) started, so jumps only go backwards and every loop ends;
/// the name's length is bounded as on the wire.
fn read_name(message: &[u8], mut at: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut labels = Vec::new();
    let mut length = 1;
    let mut end = None;
    let mut limit = at;
    loop {
        let byte = *message.get(at)?;
        match byte & 0xc0 {
            0x00 if byte == 0 => return Some((labels, end.unwrap_or(at + 1))),
            0x00 => {
                let label = message.get(at + 1..at + 1 + usize::from(byte))?;
                length += label.len() + 1;
                if length > MAX_NAME {
                    return None;
                }
                labels.push(label.to_vec());
                at += 1 + label.len();
            }
            0xc0 => {
                let target =
                    usize::from(u16::from_be_bytes([byte, *message.get(at + 1)?]) & 0x3fff);
                if target >= limit {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
                limit = target;
            }
            // 0x40 and 0x80: extended and reserved label types.
            _ => return None,
        }
    }
}

/// The answer to a query: `address` as the A record when given, else an
/// empty answer with `rcode`.
pub fn answer(query: &Query, rcode: u8, address: Option<Ipv4Addr>) -> Option<Vec<u8>> {
    let (id, flags, question) = match query {
        Query::Question {
            id,
            flags,
            question,
        } => (*id, *flags, Some(question)),
        Query::Refuse { id, flags } => (*id, *flags, None),
        Query::Drop => return None,
    };
    // QR, the query's opcode and RD; AA (the gateway is the authority on
    // what the sandbox may resolve); no RA.
    let reply_flags = 0x8000 | (flags & 0x7900) | 0x0400 | u16::from(rcode & 0xf);
    let answers = u16::from(question.is_some() && address.is_some());
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&reply_flags.to_be_bytes());
    out.extend_from_slice(&u16::from(question.is_some()).to_be_bytes());
    out.extend_from_slice(&answers.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    if let Some(question) = question {
        for label in &question.labels {
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
        out.extend_from_slice(&question.kind.to_be_bytes());
        out.extend_from_slice(&question.class.to_be_bytes());
        if let Some(address) = address {
            // The name: a pointer to the question's, which starts right after the header.
            out.extend_from_slice(&[0xc0, HEADER as u8]);
            out.extend_from_slice(&TYPE_A.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
            out.extend_from_slice(&TTL.to_be_bytes());
            out.extend_from_slice(&4u16.to_be_bytes());
            out.extend_from_slice(&address.octets());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_AAAA: u16 = 28;

    /// A query as `dig` sends it (RD set, one question, an EDNS OPT record).
    fn query(name: &str, kind: u16) -> Vec<u8> {
        let mut out = vec![0xab, 0xcd, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1];
        for label in name.split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
        out
    }

    fn question(message: &[u8]) -> Question {
        match parse(message) {
            Query::Question { question, .. } => question,
            other => panic!("not a question: {other:?}"),
        }
    }

    #[test]
    fn a_query_gives_its_name_and_type() {
        let q = question(&query("Api.Example.org", TYPE_AAAA));
        assert_eq!(q.name().as_deref(), Some("Api.Example.org"));
        assert_eq!(q.kind, TYPE_AAAA);
    }

    #[test]
    fn the_answer_repeats_the_question_and_points_at_the_gateway() {
        let message = query("Api.Example.org", TYPE_A);
        let reply = answer(&parse(&message), NOERROR, Some(Ipv4Addr::new(10, 89, 0, 2))).unwrap();
        let question_end = 12 + 17 + 4;
        assert_eq!(&reply[..2], [0xab, 0xcd]);
        // QR, AA, RD; NOERROR; one question, one answer, nothing else.
        assert_eq!(&reply[2..12], [0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(&reply[12..question_end], &message[12..question_end]);
        assert_eq!(
            &reply[question_end..],
            [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 89, 0, 2]
        );
        let refused = answer(&parse(&message), NXDOMAIN, None).unwrap();
        assert_eq!(&refused[2..12], [0x85, 0x03, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(refused.len(), question_end);
    }

    #[test]
    fn compressed_names_are_followed_backwards_only() {
        // Header, then a question whose name points back into itself at the
        // header: a pointer to offset 12 from offset 12 is a loop.
        let mut looped = query("a.test", TYPE_A)[..12].to_vec();
        looped.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(parse(&looped), Query::Refuse { .. }));
        // Two pointers chasing each other.
        let mut pair = query("a.test", TYPE_A)[..12].to_vec();
        pair.extend_from_slice(&[1, b'a', 0xc0, 16, 0xc0, 14, 0, 1, 0, 1]);
        assert!(matches!(parse(&pair), Query::Refuse { .. }));
        // A pointer forward.
        let mut forward = query("a.test", TYPE_A)[..12].to_vec();
        forward.extend_from_slice(&[0xc0, 20, 0, 1, 0, 1, 0, 0, 1, b'a', 0]);
        assert!(matches!(parse(&forward), Query::Refuse { .. }));
        // A label, then a pointer back to that label: a loop through a label.
        let mut through_label = query("a.test", TYPE_A)[..12].to_vec();
        through_label.extend_from_slice(&[1, b'b', 0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(parse(&through_label), Query::Refuse { .. }));
        // A pointer back to a real name is followed: the label "b", then a
        // pointer to offset 10, the high byte of ARCOUNT, which is 0: the root.
        let mut backward = query("a.test", TYPE_A)[..12].to_vec();
        backward.extend_from_slice(&[1, b'b', 0xc0, 10, 0, 1, 0, 1]);
        let q = question(&backward);
        assert_eq!((q.name().as_deref(), q.kind), (Some("b"), TYPE_A));
    }

    #[test]
    fn hostile_messages_are_refused_or_dropped_never_read_past() {
        let good = query("allowed.test", TYPE_A);
        for end in 0..12 {
            assert_eq!(parse(&good[..end]), Query::Drop, "{end}");
        }
        for end in 12..12 + 14 + 4 {
            assert!(matches!(parse(&good[..end]), Query::Refuse { .. }), "{end}");
        }
        let mut response = good.clone();
        response[2] |= 0x80;
        assert_eq!(parse(&response), Query::Drop);
        let mut two = good.clone();
        two[5] = 2;
        assert!(matches!(parse(&two), Query::Refuse { .. }));
        let mut update = good.clone();
        update[2] = 0x28;
        assert!(matches!(parse(&update), Query::Refuse { .. }));
        let mut chaos = good.clone();
        chaos[12 + 14 + 3] = 3;
        assert!(matches!(parse(&chaos), Query::Refuse { .. }));
        let mut extended_label = good.clone();
        extended_label[12] = 0x41;
        assert!(matches!(parse(&extended_label), Query::Refuse { .. }));
        assert_eq!(parse(&vec![0; MAX_MESSAGE + 1]), Query::Drop);
    }

    #[test]
    fn overlong_names_are_refused() {
        let long = ["a".repeat(63).as_str(); 4].join(".");
        assert!(matches!(parse(&query(&long, TYPE_A)), Query::Refuse { .. }));
        let fits = [
            "a".repeat(63).as_str(),
            "a".repeat(63).as_str(),
            "a".repeat(63).as_str(),
            "a".repeat(61).as_str(),
        ]
        .join(".");
        assert!(matches!(
            parse(&query(&fits, TYPE_A)),
            Query::Question { .. }
        ));
    }

    #[test]
    fn names_with_bytes_no_host_name_has_are_not_names() {
        let mut message = query("a.test", TYPE_A);
        message[13] = b'.';
        assert_eq!(question(&message).name(), None);
        let mut root = query("a.test", TYPE_A)[..12].to_vec();
        root.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(question(&root).name(), None);
    }

    #[test]
    fn refusals_repeat_the_id_and_nothing_of_the_question() {
        let mut two = query("allowed.test", TYPE_A);
        two[5] = 2;
        let reply = answer(&parse(&two), REFUSED, None).unwrap();
        assert_eq!(reply, [0xab, 0xcd, 0x85, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(answer(&Query::Drop, REFUSED, None), None);
    }
}
