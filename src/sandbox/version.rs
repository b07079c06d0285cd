//! Dotted version numbers as crun and libkrun write them ("1.21", "1.15.1"):
//! preflight compares them, and the plan depends on crun's.

use std::cmp::Ordering;

/// The numeric parts of `text`, up to the first part that is not a number
/// ("1.27-rc1" -> [1, 27]); `None` when it does not start with one.
pub fn parse(text: &str) -> Option<Vec<u32>> {
    let mut parts = Vec::new();
    for part in text.trim().split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse() {
            Ok(number) => parts.push(number),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Compares two parsed versions, a missing part counting as 0 (1.27 == 1.27.0).
pub fn compare(a: &[u32], b: &[u32]) -> Ordering {
    let len = a.len().max(b.len());
    let part = |v: &[u32], i: usize| v.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| part(a, i).cmp(&part(b, i)))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Whether `version` is at least `minimum`; `None` when `version` is unreadable.
pub fn at_least(version: &str, minimum: &str) -> Option<bool> {
    let version = parse(version)?;
    let minimum = parse(minimum)?;
    Some(compare(&version, &minimum).is_ge())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert_eq!(at_least("1.27", "1.27"), Some(true));
        assert_eq!(at_least("1.27.0", "1.27"), Some(true));
        assert_eq!(at_least("1.100", "1.27"), Some(true));
        assert_eq!(at_least("1.9", "1.27"), Some(false));
        assert_eq!(at_least("1.21", "1.27"), Some(false));
        assert_eq!(at_least("2.0", "1.27"), Some(true));
        assert_eq!(at_least("1.17.99", "1.18"), Some(false));
    }

    #[test]
    fn suffixes_end_the_number_and_garbage_is_no_version() {
        assert_eq!(parse("1.27-rc1"), Some(vec![1, 27]));
        assert_eq!(parse("1.15.1"), Some(vec![1, 15, 1]));
        assert_eq!(parse("v1.2"), None);
        assert_eq!(at_least("", "1.0"), None);
    }
}
