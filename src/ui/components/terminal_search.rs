//! Find in the terminal (Ctrl+Shift+F): a search bar above it, VTE
//! highlighting the match; Enter and the up button go to the match above
//! (a terminal is read from its end), the down button below; Escape closes
//! the bar and gives the keyboard back to the terminal.

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;
use vte4::prelude::*;

// PCRE2's option bits (pcre2.h), which VTE's regexes take as they are.
const PCRE2_CASELESS: u32 = 0x0000_0008;
const PCRE2_MULTILINE: u32 = 0x0000_0400;

#[derive(Clone)]
pub struct SearchBar {
    bar: gtk::SearchBar,
    entry: gtk::SearchEntry,
}

impl SearchBar {
    pub fn new(terminal: &vte4::Terminal) -> SearchBar {
        let entry = gtk::SearchEntry::builder()
            .placeholder_text(gettext("Find in the terminal"))
            .hexpand(true)
            .build();
        let up = gtk::Button::builder()
            .icon_name("go-up-symbolic")
            .tooltip_text(gettext("Previous Match"))
            .build();
        let down = gtk::Button::builder()
            .icon_name("go-down-symbolic")
            .tooltip_text(gettext("Next Match"))
            .build();
        let content = gtk::Box::builder()
            .orientation(gtk::Orientation::Horizontal)
            .spacing(6)
            .build();
        content.append(&entry);
        content.append(&up);
        content.append(&down);
        let bar = gtk::SearchBar::builder()
            .child(&content)
            .show_close_button(true)
            .build();
        bar.connect_entry(&entry);
        terminal.search_set_wrap_around(true);

        let weak = terminal.downgrade();
        let with_terminal = move |f: &dyn Fn(&vte4::Terminal)| {
            if let Some(terminal) = weak.upgrade() {
                f(&terminal);
            }
        };
        {
            let with_terminal = with_terminal.clone();
            entry.connect_search_changed(move |entry| {
                let text = entry.text();
                with_terminal(&|terminal| {
                    let regex = (!text.is_empty())
                        .then(|| {
                            vte4::Regex::for_search(
                                &escape(&text),
                                PCRE2_CASELESS | PCRE2_MULTILINE,
                            )
                            .ok()
                        })
                        .flatten();
                    terminal.search_set_regex(regex.as_ref(), 0);
                    if regex.is_some() {
                        terminal.search_find_previous();
                    }
                });
            });
        }
        for (signal_source, above) in [(&up, true), (&down, false)] {
            let with_terminal = with_terminal.clone();
            signal_source.connect_clicked(move |_| with_terminal(&|t| find(t, above)));
        }
        {
            let with_terminal = with_terminal.clone();
            entry.connect_activate(move |_| with_terminal(&|t| find(t, true)));
        }
        {
            let with_terminal = with_terminal.clone();
            entry.connect_previous_match(move |_| with_terminal(&|t| find(t, true)));
        }
        {
            let with_terminal = with_terminal.clone();
            entry.connect_next_match(move |_| with_terminal(&|t| find(t, false)));
        }
        {
            let bar = bar.downgrade();
            entry.connect_stop_search(move |_| {
                if let Some(bar) = bar.upgrade() {
                    bar.set_search_mode(false);
                }
            });
        }
        bar.connect_search_mode_enabled_notify(move |bar| {
            if !bar.is_search_mode() {
                with_terminal(&|terminal| {
                    terminal.search_set_regex(None, 0);
                    terminal.grab_focus();
                });
            }
        });
        SearchBar { bar, entry }
    }

    pub fn widget(&self) -> &gtk::SearchBar {
        &self.bar
    }

    /// Shows the bar with the keyboard in its entry, what it held selected.
    pub fn open(&self) {
        self.bar.set_search_mode(true);
        let entry = self.entry.downgrade();
        glib::idle_add_local_once(move || {
            if let Some(entry) = entry.upgrade() {
                entry.grab_focus();
                entry.select_region(0, -1);
            }
        });
    }
}

fn find(terminal: &vte4::Terminal, above: bool) {
    if above {
        terminal.search_find_previous();
    } else {
        terminal.search_find_next();
    }
}

/// `text` as a regular expression that matches it literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
