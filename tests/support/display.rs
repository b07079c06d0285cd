//! An X display of the test's own (Xvfb), and real input on it (xdotool).

use std::process::Command;

use crate::process::{Reaped, start_with_line};

pub struct VirtualDisplay {
    name: String,
    _xvfb: Reaped,
}

impl VirtualDisplay {
    /// A `width` x `height` screen on the first free display number.
    pub fn start(width: u32, height: u32) -> VirtualDisplay {
        let mut xvfb = Command::new("Xvfb");
        xvfb.args(["-displayfd", "1", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .args(["-nolisten", "tcp"]);
        let (xvfb, number) = start_with_line(&mut xvfb, "Xvfb");
        VirtualDisplay {
            name: format!(":{number}"),
            _xvfb: xvfb,
        }
    }

    /// What DISPLAY says for it, e.g. `:99`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `xdotool ARGS` on this display: pointer, keys, windows.
    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .status()
            .expect("xdotool is installed in the dev environment");
        assert!(status.success(), "xdotool {args:?}");
    }
}
