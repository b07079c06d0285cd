//! The terminal's way into the sandbox's inbox (`host::inbox`): an image
//! pasted (Ctrl+Shift+V with only an image on the clipboard, or Paste
//! Image) is saved there as PNG, files and folders dropped on the terminal
//! or pasted as a file list (copied in Files) are copied there, and the
//! paths they have inside the sandbox are typed, shell-quoted, as a paste.
//! Text pastes as it always did. Also the terminal's context menu.

use std::path::{Path, PathBuf};

use gettextrs::gettext;
use gtk::prelude::*;
use gtk::{gdk, gio, glib};
use relm4::prelude::*;
use vte4::prelude::*;

use super::terminal::{SandboxTerminal, TerminalCommand, TerminalMsg};
use super::terminal_search::SearchBar;
use host::inbox::{self, Copied};
use sandbox::messages::{tr, tr_n};

/// How a copy into the inbox ended: what it copied, or the message to show.
#[derive(Debug)]
pub struct Inboxed(Result<Copied, String>);

impl Inboxed {
    /// The text to type: the paths, quoted and space-separated, with a
    /// space after them as a file manager's drop on a terminal has; and what
    /// to tell the user (links and special files left out).
    pub fn typed(self) -> Result<(String, Option<String>), String> {
        let copied = self.0?;
        let note = (copied.skipped > 0).then(|| {
            tr_n(
                "Left out {count} symbolic link or special file: Paddock does not follow it into the inbox",
                "Left out {count} symbolic links or special files: Paddock does not follow them into the inbox",
                copied.skipped as u64,
                &[],
            )
        });
        Ok((format!("{} ", sandbox::inbox::typed(&copied.paths)), note))
    }
}

/// Ctrl+Shift+V and the menu's Paste: a file list as a drop, an image
/// (when the clipboard has no text) into the inbox, text as text.
pub fn paste(terminal: &vte4::Terminal, sender: &ComponentSender<SandboxTerminal>) {
    let clipboard = terminal.clipboard();
    let formats = clipboard.formats().union_deserialize_types();
    if formats.contains_type(gdk::FileList::static_type()) {
        let sender = sender.clone();
        clipboard.read_value_async(
            gdk::FileList::static_type(),
            glib::Priority::DEFAULT,
            gio::Cancellable::NONE,
            move |value| match value.ok().and_then(|v| v.get::<gdk::FileList>().ok()) {
                Some(files) => dropped(&files, &sender),
                None => sender.input(TerminalMsg::Toast(gettext(
                    "The files on the clipboard could not be read; copy them again",
                ))),
            },
        );
    } else if !formats.contains_type(glib::Type::STRING)
        && formats.contains_type(gdk::Texture::static_type())
    {
        paste_image(terminal, sender);
    } else {
        terminal.paste_clipboard();
    }
}

/// The clipboard's image, saved as PNG in the inbox.
pub fn paste_image(terminal: &vte4::Terminal, sender: &ComponentSender<SandboxTerminal>) {
    let sender = sender.clone();
    terminal
        .clipboard()
        .read_texture_async(gio::Cancellable::NONE, move |texture| match texture {
            Ok(Some(texture)) => {
                sender.input(TerminalMsg::SaveImage(texture.save_to_png_bytes().to_vec()))
            }
            _ => sender.input(TerminalMsg::Toast(gettext(
                "The clipboard holds no image that can be read; copy it again",
            ))),
        });
}

/// Copies `paths` into the project's inbox, away from the main loop.
pub fn copy_in(root: &Path, paths: Vec<PathBuf>, sender: &ComponentSender<SandboxTerminal>) {
    let root = root.to_owned();
    in_background(sender, move || {
        let inbox = inbox::for_project(&root)?;
        inbox::copy_in(&inbox, &paths)
    });
}

/// Saves a pasted image in the inbox under a name that says what and when.
pub fn save_image(root: &Path, png: Vec<u8>, sender: &ComponentSender<SandboxTerminal>) {
    let root = root.to_owned();
    let when = glib::DateTime::now_local()
        .and_then(|now| now.format("%Y-%m-%d-%H-%M-%S"))
        .map(|when| when.to_string())
        .unwrap_or_default();
    let name = format!("pasted-image-{when}.png");
    in_background(sender, move || {
        let inbox = inbox::for_project(&root)?;
        let path = inbox::save(&inbox, &name, &png)?;
        Ok(Copied {
            paths: vec![path],
            skipped: 0,
        })
    });
}

fn in_background(
    sender: &ComponentSender<SandboxTerminal>,
    copy: impl FnOnce() -> Result<Copied, inbox::InboxError> + Send + 'static,
) {
    sender.oneshot_command(async move {
        let result = match tokio::task::spawn_blocking(copy).await {
            Ok(result) => result
                .map_err(|error| tr("Not copied into the inbox: {error}", &[("error", &error)])),
            Err(error) => Err(error.to_string()),
        };
        TerminalCommand::Inboxed(Inboxed(result))
    });
}

/// Files and folders dropped on the terminal go to the inbox; dropped on
/// the rest of the window they still add a project.
pub fn drop_target(sender: &ComponentSender<SandboxTerminal>) -> gtk::DropTarget {
    let target = gtk::DropTarget::new(gdk::FileList::static_type(), gdk::DragAction::COPY);
    let sender = sender.clone();
    target.connect_drop(move |_, value, _, _| match value.get::<gdk::FileList>() {
        Ok(files) => {
            dropped(&files, &sender);
            true
        }
        Err(_) => false,
    });
    target
}

fn dropped(files: &gdk::FileList, sender: &ComponentSender<SandboxTerminal>) {
    let paths: Vec<PathBuf> = files.files().iter().filter_map(|f| f.path()).collect();
    if paths.is_empty() {
        sender.input(TerminalMsg::Toast(gettext(
            "Only files and folders on this computer can go into the inbox",
        )));
    } else {
        sender.input(TerminalMsg::CopyToInbox(paths));
    }
}

/// The right-click menu: Copy, Paste, Paste Image (while the clipboard has
/// an image), Select All, Find, Show Inbox, Close Terminal (the way to the
/// tab's close question while a single tab shows no tab bar).
pub fn add_menu(
    terminal: &vte4::Terminal,
    search: &SearchBar,
    root: &Path,
    sender: &ComponentSender<SandboxTerminal>,
) {
    let group = gio::SimpleActionGroup::new();
    let action = |name: &str, run: Box<dyn Fn(&vte4::Terminal)>| {
        let action = gio::SimpleAction::new(name, None);
        let terminal = terminal.downgrade();
        action.connect_activate(move |_, _| {
            if let Some(terminal) = terminal.upgrade() {
                run(&terminal);
            }
        });
        group.add_action(&action);
        action
    };
    let copy = action(
        "copy",
        Box::new(|t| t.copy_clipboard_format(vte4::Format::Text)),
    );
    copy.set_enabled(false);
    terminal.connect_selection_changed(move |t| copy.set_enabled(t.has_selection()));
    {
        let sender = sender.clone();
        action("paste", Box::new(move |t| paste(t, &sender)));
    }
    let image = {
        let sender = sender.clone();
        action("paste-image", Box::new(move |t| paste_image(t, &sender)))
    };
    let has_image = |clipboard: &gdk::Clipboard| {
        clipboard
            .formats()
            .union_deserialize_types()
            .contains_type(gdk::Texture::static_type())
    };
    let clipboard = terminal.clipboard();
    image.set_enabled(has_image(&clipboard));
    clipboard.connect_changed(move |clipboard| image.set_enabled(has_image(clipboard)));
    action("select-all", Box::new(|t| t.select_all()));
    {
        let search = search.clone();
        action("find", Box::new(move |_| search.open()));
    }
    {
        let sender = sender.clone();
        let root = root.to_owned();
        action(
            "show-inbox",
            Box::new(move |t| show_inbox(t, &root, &sender)),
        );
    }
    {
        let sender = sender.clone();
        action("close", Box::new(move |_| sender.input(TerminalMsg::Close)));
    }
    terminal.insert_action_group("term", Some(&group));

    let menu = gio::Menu::new();
    let edit = gio::Menu::new();
    edit.append(Some(&gettext("_Copy")), Some("term.copy"));
    edit.append(Some(&gettext("_Paste")), Some("term.paste"));
    edit.append(Some(&gettext("Paste _Image")), Some("term.paste-image"));
    menu.append_section(None, &edit);
    let select = gio::Menu::new();
    select.append(Some(&gettext("Select _All")), Some("term.select-all"));
    select.append(Some(&gettext("_Find…")), Some("term.find"));
    menu.append_section(None, &select);
    let inbox = gio::Menu::new();
    inbox.append(Some(&gettext("Show _Inbox")), Some("term.show-inbox"));
    menu.append_section(None, &inbox);
    let close = gio::Menu::new();
    close.append(Some(&gettext("C_lose Terminal")), Some("term.close"));
    menu.append_section(None, &close);
    terminal.set_context_menu_model(Some(&menu));
}

/// Opens the inbox folder in the file manager (through the OpenURI portal
/// where there is one).
fn show_inbox(terminal: &vte4::Terminal, root: &Path, sender: &ComponentSender<SandboxTerminal>) {
    let folder = match inbox::for_project(root).and_then(|inbox| inbox::prepare(&inbox)) {
        Ok(folder) => folder,
        Err(error) => {
            sender.input(TerminalMsg::Toast(error.to_string()));
            return;
        }
    };
    let window = terminal.root().and_downcast::<gtk::Window>();
    let launcher = gtk::FileLauncher::new(Some(&gio::File::for_path(&folder)));
    let sender = sender.clone();
    launcher.launch(window.as_ref(), gio::Cancellable::NONE, move |result| {
        if let Err(error) = result {
            sender.input(TerminalMsg::Toast(tr(
                "The inbox could not be shown: {error}",
                &[("error", &error)],
            )));
        }
    });
}
