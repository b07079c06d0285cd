//! A VTE terminal in a frame that reports changes of its grid size. With no
//! PTY behind the terminal (the sandbox's terminal is podman's), nothing
//! else would learn that the window was resized, so the size goes to
//! podman's resize call from here.
//!
//! The frame is a plain widget around the terminal rather than a subclass of
//! VTE's terminal: vte4 0.10's subclass glue takes ownership of the text in
//! its `commit` vfunc and frees it twice. Inside it the terminal scrolls in
//! a scrolled window, for GTK's overlay scrollbar (as in Ptyxis).

use std::cell::{Cell, OnceCell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use vte4::prelude::*;

type OnResize = Box<dyn Fn(u16, u16)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct TerminalFrame {
        pub terminal: OnceCell<vte4::Terminal>,
        pub scrolled: OnceCell<gtk::ScrolledWindow>,
        pub size: Cell<(i64, i64)>,
        pub on_resize: RefCell<Option<OnResize>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for TerminalFrame {
        const NAME: &'static str = "PaddockTerminalFrame";
        type Type = super::TerminalFrame;
        type ParentType = gtk::Widget;
    }

    impl ObjectImpl for TerminalFrame {
        fn dispose(&self) {
            if let Some(scrolled) = self.scrolled.get() {
                scrolled.unparent();
            }
        }
    }

    // Measured and allocated here rather than by a layout manager: GTK
    // does not call a widget's own size_allocate when it has one, and this
    // one is where the grid's new size is learnt.
    impl WidgetImpl for TerminalFrame {
        fn measure(&self, orientation: gtk::Orientation, for_size: i32) -> (i32, i32, i32, i32) {
            match self.scrolled.get() {
                Some(scrolled) => scrolled.measure(orientation, for_size),
                None => (0, 0, -1, -1),
            }
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            let (Some(terminal), Some(scrolled)) = (self.terminal.get(), self.scrolled.get())
            else {
                return;
            };
            scrolled.allocate(width, height, baseline, None);
            let size = (terminal.column_count(), terminal.row_count());
            if size != self.size.get() && size.0 > 0 && size.1 > 0 {
                self.size.set(size);
                if let Some(callback) = self.on_resize.borrow().as_ref() {
                    callback(
                        u16::try_from(size.0).unwrap_or(u16::MAX),
                        u16::try_from(size.1).unwrap_or(u16::MAX),
                    );
                }
            }
        }
    }
}

glib::wrapper! {
    pub struct TerminalFrame(ObjectSubclass<imp::TerminalFrame>)
        @extends gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl TerminalFrame {
    pub fn new(terminal: &vte4::Terminal) -> TerminalFrame {
        let frame: TerminalFrame = glib::Object::new();
        let scrolled = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vscrollbar_policy(gtk::PolicyType::Automatic)
            .overlay_scrolling(true)
            .child(terminal)
            .build();
        scrolled.set_parent(&frame);
        let _ = frame.imp().terminal.set(terminal.clone());
        let _ = frame.imp().scrolled.set(scrolled);
        frame
    }

    /// Called with (columns, rows) whenever the grid changes size.
    pub fn on_resize(&self, callback: impl Fn(u16, u16) + 'static) {
        self.imp().on_resize.replace(Some(Box::new(callback)));
    }
}
