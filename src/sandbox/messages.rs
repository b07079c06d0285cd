//! Filling translated message templates: `{name}` placeholders are replaced
//! after translation, so translators can move them around.

/// Translates `template` and fills its `{name}` placeholders.
pub fn tr(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill(&gettextrs::gettext(template), args)
}

/// Translates the form of `singular`/`plural` that `count` takes in the
/// user's language (many have more than two) and fills its placeholders,
/// `{count}` among them.
pub fn tr_n(
    singular: &str,
    plural: &str,
    count: u64,
    args: &[(&str, &dyn std::fmt::Display)],
) -> String {
    let form = gettextrs::ngettext(singular, plural, u32::try_from(count).unwrap_or(u32::MAX));
    fill(&fill(&form, &[("count", &count)]), args)
}

/// An operating system error as the user reads it: a translated reason
/// per kind of error, with the system's own (English) words after it as
/// detail. Every place that shows an `io::Error` shows it through here.
pub fn os_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let reason = match error.kind() {
        NotFound => gettextrs::gettext("it does not exist"),
        PermissionDenied => gettextrs::gettext("you do not have permission"),
        AlreadyExists => gettextrs::gettext("it already exists"),
        StorageFull | QuotaExceeded => gettextrs::gettext("the disk is full"),
        ReadOnlyFilesystem => gettextrs::gettext("the file system is read-only"),
        IsADirectory => gettextrs::gettext("it is a folder, not a file"),
        NotADirectory => gettextrs::gettext("part of the path is not a folder"),
        DirectoryNotEmpty => gettextrs::gettext("the folder is not empty"),
        FileTooLarge => gettextrs::gettext("the file is too large"),
        TooManyLinks => gettextrs::gettext("there are too many links"),
        InvalidFilename => gettextrs::gettext("the name is too long or not allowed"),
        CrossesDevices => gettextrs::gettext("it is on another disk"),
        ResourceBusy | ExecutableFileBusy => gettextrs::gettext("it is in use"),
        InvalidData => gettextrs::gettext("its contents are not what was expected"),
        TimedOut => gettextrs::gettext("it took too long"),
        ConnectionRefused => gettextrs::gettext("nothing answers there"),
        OutOfMemory => gettextrs::gettext("there is not enough memory"),
        _ => return error.to_string(),
    };
    tr(
        "{reason}: {detail}",
        &[("reason", &reason), ("detail", error)],
    )
}

fn fill(text: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_their_form() {
        assert_eq!(
            tr_n(
                "{count} file in {dir}",
                "{count} files in {dir}",
                1,
                &[("dir", &"src")]
            ),
            "1 file in src"
        );
        assert_eq!(
            tr_n(
                "{count} file in {dir}",
                "{count} files in {dir}",
                2,
                &[("dir", &"src")]
            ),
            "2 files in src"
        );
    }

    #[test]
    fn fills_every_placeholder() {
        let text = fill(
            "{key} must be between {min} and {max}",
            &[("key", &"cpus"), ("min", &1), ("max", &64)],
        );
        assert_eq!(text, "cpus must be between 1 and 64");
    }

    #[test]
    fn os_errors_in_words_with_the_system_text_as_detail() {
        let denied = std::io::Error::from_raw_os_error(13);
        assert_eq!(
            os_error(&denied),
            "you do not have permission: Permission denied (os error 13)"
        );
        let read_only = std::io::Error::from_raw_os_error(30);
        assert!(os_error(&read_only).starts_with("the file system is read-only: "));
        let other = std::io::Error::other("odd");
        assert_eq!(os_error(&other), "odd");
    }
}
