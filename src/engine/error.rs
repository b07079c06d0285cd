//! What can go wrong talking to podman, each case worded so that the person
//! reading it knows what to do next.

use std::fmt;
use std::path::PathBuf;

use gettextrs::gettext;

use crate::build::BuildStep;

/// The command that turns on podman's API socket for the user.
pub const ENABLE_SOCKET: &str = "systemctl --user enable --now podman.socket";
/// The package that brings crun with libkrun on Fedora.
pub const INSTALL_KRUN: &str = "sudo dnf install crun-krun";

#[derive(Debug)]
pub enum Error {
    /// Neither `CONTAINER_HOST` nor the default socket leads to podman.
    NoSocket {
        container_host: Option<String>,
        default_socket: Option<PathBuf>,
        detail: String,
    },
    /// `CONTAINER_HOST` names something other than a local unix socket.
    UnsupportedHost(String),
    /// podman answered with an error.
    Podman { context: String, message: String },
    /// The connection to podman broke mid-way.
    Connection(String),
    /// A build step failed; `step` is the last "STEP n/m" podman announced.
    BuildFailed {
        step: Option<BuildStep>,
        message: String,
    },
    /// The FROM step failed and its image is not on this computer.
    BaseImageMissing { image: String, message: String },
    /// The caller cancelled the operation.
    Cancelled,
    /// A microVM was asked for but podman's crun has no libkrun.
    KrunUnavailable { runtime: String },
    /// No Paddock sandbox of that name.
    NoSuchSandbox(String),
    /// A bind source is no longer the file or folder the plan pinned.
    BindMoved(sandbox::plan::PinError),
    /// The sandbox has no gateway (its network or gateway container is gone).
    NoGateway(String),
    /// The `paddock-gateway` binary is not where it was looked for.
    NoGatewayBinary(PathBuf),
    /// A key stays outside, and no CA bundle was found to verify its API host.
    NoCaBundle,
    /// podman's copy of an API key in a container's folder could not be removed.
    KeyCopyLeft {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl Error {
    pub(crate) fn podman(context: &str, err: impl fmt::Display) -> Self {
        Error::Podman {
            context: context.to_owned(),
            message: err.to_string(),
        }
    }
}

impl From<podman_api::Error> for Error {
    fn from(err: podman_api::Error) -> Self {
        match err {
            podman_api::Error::Fault { message, .. } => Error::Podman {
                context: String::new(),
                message,
            },
            other => Error::Connection(other.to_string()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSocket {
                container_host,
                default_socket,
                detail,
            } => {
                let tried = match (container_host, default_socket) {
                    (Some(host), _) => gettext("CONTAINER_HOST ({host})").replace("{host}", host),
                    (None, Some(path)) => gettext("the podman socket {path} (CONTAINER_HOST is not set)")
                        .replace("{path}", &path.display().to_string()),
                    (None, None) => gettext(
                        "CONTAINER_HOST is not set and neither is XDG_RUNTIME_DIR, so there is no default podman socket",
                    ),
                };
                write!(
                    f,
                    "{}",
                    gettext("Cannot reach podman through {tried}: {detail}. Enable podman's API socket with `{command}`, or point CONTAINER_HOST at a running one (unix:///run/user/UID/podman/podman.sock).")
                        .replace("{tried}", &tried)
                        .replace("{detail}", detail)
                        .replace("{command}", ENABLE_SOCKET)
                )
            }
            Error::UnsupportedHost(host) => write!(
                f,
                "{}",
                gettext("CONTAINER_HOST is {host}, but Paddock talks only to a local podman socket (unix://…). Unset CONTAINER_HOST or point it at unix:///run/user/UID/podman/podman.sock.")
                    .replace("{host}", host)
            ),
            Error::Podman { context, message } if context.is_empty() => {
                write!(f, "{}", gettext("podman: {message}").replace("{message}", message))
            }
            Error::Podman { context, message } => write!(
                f,
                "{}",
                gettext("{context}: podman says: {message}")
                    .replace("{context}", context)
                    .replace("{message}", message)
            ),
            Error::Connection(detail) => write!(
                f,
                "{}",
                gettext("The connection to podman broke ({detail}). Check that the podman service is still running (`{command}`) and try again.")
                    .replace("{detail}", detail)
                    .replace("{command}", ENABLE_SOCKET)
            ),
            Error::BuildFailed {
                step: Some(step),
                message,
            } => write!(
                f,
                "{}",
                gettext("The build failed at STEP {number}/{total} ({instruction}): {message}. Fix that step of the sandbox definition and build again.")
                    .replace("{number}", &step.number.to_string())
                    .replace("{total}", &step.total.to_string())
                    .replace("{instruction}", &step.instruction)
                    .replace("{message}", message.trim_end())
            ),
            Error::BuildFailed { step: None, message } => write!(
                f,
                "{}",
                gettext("The build failed before its first step: {message}. Check the base image and the generated Containerfile.")
                    .replace("{message}", message.trim_end())
            ),
            Error::BaseImageMissing { image, message } => write!(
                f,
                "{}",
                gettext("The base image {image} is not on this computer and could not be pulled: {message}. Pull it with `podman pull {image}` while online, or choose a base image that `podman images` lists, then build again.")
                    .replace("{image}", image)
                    .replace("{message}", message.trim_end())
            ),
            Error::Cancelled => write!(f, "{}", gettext("Cancelled.")),
            Error::KrunUnavailable { runtime } => write!(
                f,
                "{}",
                gettext("This sandbox asks for a microVM, but podman's runtime ({runtime}) is a crun without libkrun, which would silently start a plain container instead. Install the krun runtime with `{command}`, or choose isolation \"container\" for this project if a plain container is enough.")
                    .replace("{runtime}", runtime)
                    .replace("{command}", INSTALL_KRUN)
            ),
            Error::NoSuchSandbox(name) => write!(
                f,
                "{}",
                gettext("There is no Paddock sandbox named {name}. `paddock ls` lists them.")
                    .replace("{name}", name)
            ),
            Error::BindMoved(error) => write!(f, "{error}"),
            Error::NoGateway(name) => write!(
                f,
                "{}",
                gettext("{name} has no running network gateway, so it has no network (it fails closed). Run the sandbox again (`paddock run`) to start a new one.")
                    .replace("{name}", name)
            ),
            Error::NoGatewayBinary(path) => write!(
                f,
                "{}",
                gettext("Paddock's network gateway is not installed at {path}, and network.mode = \"allowlist\" needs it. Reinstall Paddock, point PADDOCK_GATEWAY at a paddock-gateway binary, or set network.mode = \"full\" or \"offline\" in the definition.")
                    .replace("{path}", &path.display().to_string())
            ),
            Error::NoCaBundle => write!(
                f,
                "{}",
                gettext("Paddock found none of the system's CA certificate bundles (such as /etc/pki/tls/certs/ca-bundle.crt), which the network gateway needs to check the API host before it adds your API key. Install the ca-certificates package and run the sandbox again.")
            ),
            Error::KeyCopyLeft { path, error } => write!(
                f,
                "{}",
                gettext("podman's copy of an API key at {path} could not be removed ({error}); remove that file yourself, or the sandbox with `paddock rm`.")
                    .replace("{path}", &path.display().to_string())
                    .replace("{error}", &sandbox::messages::os_error(error))
            ),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
