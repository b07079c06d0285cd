//! A read-only view of what the window shows, for the GUI tests.
//!
//! Only in a build with the `test-hooks` feature (which the tests' own
//! builds get, a release never) and only when `PADDOCK_TEST_INTROSPECTION=1`:
//! the app then answers
//! `io.github.paddockapp.Paddock.Introspection.Dump()` on its own bus
//! connection with the tree of visible widgets (titles, labels, log and
//! terminal text, progress), read from the widgets themselves, so a test sees
//! what a user would and fails when the window does not show it. Besides the
//! tree: the window's size, and the zoom and font of every terminal, shown or
//! not (what the user's settings did to them).

use adw::prelude::*;
use gtk::gio;
use serde_json::{Value, json};

const ENABLE_ENV: &str = "PADDOCK_TEST_INTROSPECTION";
const INTERFACE: &str = r#"
<node>
  <interface name="io.github.paddockapp.Paddock.Introspection">
    <method name="Dump">
      <arg type="s" name="json" direction="out"/>
    </method>
  </interface>
</node>"#;

pub fn install(app: &adw::Application, window: &adw::ApplicationWindow) {
    if std::env::var(ENABLE_ENV).as_deref() != Ok("1") {
        return;
    }
    let (Some(connection), Some(path)) = (app.dbus_connection(), app.dbus_object_path()) else {
        return;
    };
    let Ok(node) = gio::DBusNodeInfo::for_xml(INTERFACE) else {
        return;
    };
    let Some(interface) = node.lookup_interface("io.github.paddockapp.Paddock.Introspection")
    else {
        return;
    };
    let window = window.downgrade();
    let application = app.downgrade();
    let registration = connection
        .register_object(&format!("{path}/Introspection"), &interface)
        .method_call(move |_, _, _, _, _, _, invocation| {
            let dump = window
                .upgrade()
                .map(|window| {
                    let mut tree =
                        with_other_toplevels(widget(window.upcast_ref(), &window), &window);
                    tree["dark"] = json!(adw::StyleManager::default().is_dark());
                    tree["window"] = window_state(&window);
                    tree["terminals"] = terminals(window.upcast_ref());
                    if let Some(app) = application.upgrade() {
                        tree["accels"] = accels(&app);
                    }
                    tree
                })
                .unwrap_or(Value::Null);
            invocation.return_value(Some(&(dump.to_string(),).to_variant()));
        })
        .build();
    if let Err(error) = registration {
        tracing::warn!("introspection not available: {error}");
    }
}

/// The keys bound to each action, as the shortcuts dialog labels them.
fn accels(app: &adw::Application) -> Value {
    let mut bound = serde_json::Map::new();
    for action in app.list_action_descriptions() {
        let labels: Vec<String> = app
            .accels_for_action(&action)
            .iter()
            .filter_map(gtk::accelerator_parse)
            .map(|(key, modifiers)| gtk::accelerator_get_label(key, modifiers).to_string())
            .collect();
        bound.insert(action.to_string(), json!(labels));
    }
    Value::Object(bound)
}

/// Dialogs may be windows of their own: they are added to the window's node.
fn with_other_toplevels(mut tree: Value, window: &adw::ApplicationWindow) -> Value {
    let others: Vec<Value> = gtk::Window::list_toplevels()
        .iter()
        .filter(|other| other.is_mapped() && *other != window.upcast_ref::<gtk::Widget>())
        .map(|other| widget(other, other))
        .collect();
    if let Some(Value::Array(children)) = tree.get_mut("children") {
        children.extend(others);
    }
    tree
}

fn window_state(window: &adw::ApplicationWindow) -> Value {
    let (width, height) = window.default_size();
    json!({
        "width": window.width(),
        "height": window.height(),
        "default_width": width,
        "default_height": height,
        "maximized": window.is_maximized(),
    })
}

/// Every terminal under `root`, in the tabs on screen or not.
fn terminals(root: &gtk::Widget) -> Value {
    use vte4::prelude::*;
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(current) = stack.pop() {
        if let Some(terminal) = current.downcast_ref::<vte4::Terminal>() {
            found.push(json!({
                "font_scale": terminal.font_scale(),
                "font": terminal.font().map(|font| font.to_string()),
            }));
        }
        let mut child = current.first_child();
        while let Some(next) = child {
            child = next.next_sibling();
            stack.push(next);
        }
    }
    Value::Array(found)
}

/// A mapped widget and its mapped children, with what each shows and where
/// (`bounds`: x, y, width, height in the coordinates of its `toplevel`).
// GTK's shortcuts window is deprecated in 4.18, and still the one there is.
#[allow(deprecated)]
fn widget(widget: &gtk::Widget, toplevel: &impl IsA<gtk::Widget>) -> Value {
    let mut node = serde_json::Map::new();
    node.insert("type".into(), json!(widget.type_().name()));
    if let Some(bounds) = widget.compute_bounds(toplevel) {
        node.insert(
            "bounds".into(),
            json!([bounds.x(), bounds.y(), bounds.width(), bounds.height()]),
        );
    }
    if let Some(text) = widget.tooltip_text() {
        node.insert("tooltip".into(), json!(text.as_str()));
    }
    if !widget.is_sensitive() {
        node.insert("insensitive".into(), json!(true));
    }
    // Where the keyboard is: a keyboard-only walk finds its way by it. The
    // toplevel's focus widget, whether or not the window is active: with no
    // window manager (the tests') GTK may think it is not.
    if widget.root().and_then(|root| root.focus()).as_ref() == Some(widget) {
        node.insert("focused".into(), json!(true));
    }
    // What a text field holds (a chooser's location, say), apart from the
    // texts the window shows.
    if let Some(text) = widget.downcast_ref::<gtk::Text>() {
        node.insert("entry_text".into(), json!(text.text().as_str()));
    }
    if let Some(row) = widget.downcast_ref::<gtk::ListBoxRow>()
        && row.is_selected()
    {
        node.insert("selected".into(), json!(true));
    }
    // Whose dialog a window is, by its parent's type.
    if let Some(window) = widget.downcast_ref::<gtk::Window>() {
        node.insert(
            "transient_for".into(),
            json!(window.transient_for().map(|parent| parent.type_().name())),
        );
        node.insert("modal".into(), json!(window.is_modal()));
    }
    if let Some(label) = widget.downcast_ref::<gtk::Label>() {
        node.insert("text".into(), json!(label.text().as_str()));
        if label.layout().is_ellipsized() {
            node.insert("ellipsized".into(), json!(true));
        }
    } else if let Some(button) = widget.downcast_ref::<gtk::Button>() {
        if let Some(label) = button.label() {
            node.insert("text".into(), json!(label.as_str()));
        }
    } else if let Some(row) = widget.downcast_ref::<adw::PreferencesRow>() {
        node.insert("title".into(), json!(row.title().as_str()));
        if let Some(row) = widget.downcast_ref::<adw::ActionRow>() {
            node.insert(
                "subtitle".into(),
                json!(row.subtitle().map(|s| s.to_string())),
            );
        }
        if let Some(row) = widget.downcast_ref::<adw::EntryRow>() {
            node.insert("text".into(), json!(row.text().as_str()));
        }
        if let Some(row) = widget.downcast_ref::<adw::SpinRow>() {
            node.insert("value".into(), json!(row.value()));
        }
    } else if let Some(about) = widget.downcast_ref::<adw::AboutDialog>() {
        node.insert(
            "application_name".into(),
            json!(about.application_name().as_str()),
        );
        node.insert("version".into(), json!(about.version().as_str()));
        node.insert(
            "license".into(),
            json!(format!("{:?}", about.license_type())),
        );
        node.insert("website".into(), json!(about.website().as_str()));
        node.insert("issue_url".into(), json!(about.issue_url().as_str()));
    } else if let Some(split) = widget.downcast_ref::<adw::NavigationSplitView>() {
        node.insert("collapsed".into(), json!(split.is_collapsed()));
    } else if let Some(page) = widget.downcast_ref::<adw::StatusPage>() {
        node.insert("title".into(), json!(page.title().as_str()));
    } else if let Some(title) = widget.downcast_ref::<adw::WindowTitle>() {
        node.insert("title".into(), json!(title.title().as_str()));
        node.insert("subtitle".into(), json!(title.subtitle().as_str()));
    } else if let Some(banner) = widget.downcast_ref::<adw::Banner>() {
        node.insert("title".into(), json!(banner.title().as_str()));
        node.insert("revealed".into(), json!(banner.is_revealed()));
    } else if let Some(stack) = widget.downcast_ref::<adw::ViewStack>() {
        node.insert(
            "visible_child".into(),
            json!(stack.visible_child_name().map(|name| name.to_string())),
        );
    } else if let Some(scrolled) = widget.downcast_ref::<gtk::ScrolledWindow>() {
        let adjustment = scrolled.vadjustment();
        node.insert("scrolled".into(), json!(adjustment.value()));
        node.insert(
            "scroll_end".into(),
            json!(adjustment.upper() - adjustment.page_size()),
        );
    } else if let Some(view) = widget.downcast_ref::<gtk::TextView>() {
        let buffer = view.buffer();
        let (start, end) = buffer.bounds();
        node.insert(
            "text".into(),
            json!(buffer.text(&start, &end, false).as_str()),
        );
    } else if let Some(bar) = widget.downcast_ref::<gtk::ProgressBar>() {
        node.insert("fraction".into(), json!(bar.fraction()));
        if let Some(text) = bar.text() {
            node.insert("text".into(), json!(text.as_str()));
        }
    } else if let Some(terminal) = widget.downcast_ref::<vte4::Terminal>() {
        use vte4::prelude::*;
        let text = terminal.text_format(vte4::Format::Text);
        node.insert("text".into(), json!(text.map(|t| t.to_string())));
        if terminal.has_selection() {
            let selected = terminal.text_selected(vte4::Format::Text);
            node.insert("selected".into(), json!(selected.map(|t| t.to_string())));
        }
    } else if let Some(shortcut) = widget.downcast_ref::<gtk::ShortcutsShortcut>() {
        node.insert(
            "title".into(),
            json!(shortcut.title().map(|t| t.to_string())),
        );
        let keys = shortcut
            .accelerator()
            .and_then(|accel| gtk::accelerator_parse(accel.as_str()))
            .map(|(key, modifiers)| gtk::accelerator_get_label(key, modifiers).to_string());
        node.insert("keys".into(), json!(keys));
    } else if let Some(search) = widget.downcast_ref::<gtk::SearchEntry>() {
        node.insert("text".into(), json!(search.text().as_str()));
    } else if let Some(tabs) = widget.downcast_ref::<adw::TabBar>() {
        let titles: Vec<String> = tabs
            .view()
            .map(|view| {
                (0..view.n_pages())
                    .map(|i| view.nth_page(i).title().to_string())
                    .collect()
            })
            .unwrap_or_default();
        node.insert("tabs".into(), json!(titles));
    }
    let mut children = Vec::new();
    let mut child = widget.first_child();
    while let Some(current) = child {
        if current.is_mapped() {
            children.push(self::widget(&current, toplevel));
        }
        child = current.next_sibling();
    }
    if !children.is_empty() {
        node.insert("children".into(), Value::Array(children));
    }
    Value::Object(node)
}
