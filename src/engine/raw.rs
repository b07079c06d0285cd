//! Direct libpod calls over the unix socket, for what podman-api gets wrong.

use std::path::{Path, PathBuf};

use hyper::body::HttpBody;
use hyper::{Body, Client, Method, Request, Response};
use hyperlocal::UnixConnector;

use crate::{Error, Result};

/// The libpod API version prefix of every raw call (podman >= 5 serves it).
const API: &str = "/v5.0.0/libpod";

#[derive(Clone)]
pub(crate) struct Raw {
    client: Client<UnixConnector>,
    socket: PathBuf,
}

impl Raw {
    pub(crate) fn new(socket: &Path) -> Raw {
        Raw {
            client: Client::builder()
                .pool_max_idle_per_host(0)
                .build(UnixConnector),
            socket: socket.to_owned(),
        }
    }

    /// Sends a request to `/libpod{path}` and returns the response once its
    /// status says success; an error status becomes podman's message.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Body,
    ) -> Result<Response<Body>> {
        let uri: hyper::Uri =
            hyperlocal::Uri::new(&self.socket, &format!("{API}{path_and_query}")).into();
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(content_type) = content_type {
            request = request.header(hyper::header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(body)
            .map_err(|err| Error::Connection(err.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| Error::Connection(err.to_string()))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(failure(response).await)
    }

    /// GETs `/libpod{path}` and reads the whole answer.
    pub(crate) async fn get(&self, path_and_query: &str) -> Result<hyper::body::Bytes> {
        let response = self
            .send(Method::GET, path_and_query, None, Body::empty())
            .await?;
        hyper::body::to_bytes(response.into_body())
            .await
            .map_err(|err| Error::Connection(err.to_string()))
    }
}

impl Raw {
    /// Sends a request that turns the connection into a raw byte stream
    /// (libpod's attach): the stream, and the `Content-Type` podman says it
    /// carries.
    pub(crate) async fn upgrade(
        &self,
        method: Method,
        path_and_query: &str,
    ) -> Result<(hyper::upgrade::Upgraded, String)> {
        let uri: hyper::Uri =
            hyperlocal::Uri::new(&self.socket, &format!("{API}{path_and_query}")).into();
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::CONNECTION, "Upgrade")
            .header(hyper::header::UPGRADE, "tcp")
            .body(Body::empty())
            .map_err(|err| Error::Connection(err.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| Error::Connection(err.to_string()))?;
        let status = response.status();
        if status != hyper::StatusCode::SWITCHING_PROTOCOLS && !status.is_success() {
            return Err(failure(response).await);
        }
        let content_type = response
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let stream = hyper::upgrade::on(response)
            .await
            .map_err(|err| Error::Connection(err.to_string()))?;
        Ok((stream, content_type))
    }
}

/// The error a failed libpod response carries in its body.
async fn failure(response: Response<Body>) -> Error {
    let status = response.status();
    match hyper::body::to_bytes(response.into_body()).await {
        Ok(body) => Error::Podman {
            context: String::new(),
            message: error_message(status, &body),
        },
        Err(err) => Error::Connection(err.to_string()),
    }
}

/// libpod's error body is `{"cause": …, "message": …, "response": code}`.
fn error_message(status: hyper::StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{status}: {}", String::from_utf8_lossy(body).trim()))
}

/// Splits a streamed body into lines as they arrive.
pub(crate) struct Lines {
    body: Body,
    pending: Vec<u8>,
}

impl Lines {
    pub(crate) fn new(body: Body) -> Lines {
        Lines {
            body,
            pending: Vec::new(),
        }
    }

    /// The next complete line (without its newline); `None` at the end.
    pub(crate) async fn next(&mut self) -> Result<Option<String>> {
        loop {
            if let Some(end) = self.pending.iter().position(|&byte| byte == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Ok(Some(String::from_utf8_lossy(&line[..end]).into_owned()));
            }
            match self.body.data().await {
                Some(Ok(chunk)) => self.pending.extend_from_slice(&chunk),
                Some(Err(err)) => return Err(Error::Connection(err.to_string())),
                None if self.pending.is_empty() => return Ok(None),
                None => {
                    let line = std::mem::take(&mut self.pending);
                    return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpod_error_bodies_give_their_message() {
        let body = br#"{"cause":"no such container","message":"no container with name or ID \"x\" found: no such container","response":404}"#;
        assert_eq!(
            error_message(hyper::StatusCode::NOT_FOUND, body),
            "no container with name or ID \"x\" found: no such container"
        );
        assert_eq!(
            error_message(hyper::StatusCode::BAD_GATEWAY, b"oops"),
            "502 Bad Gateway: oops"
        );
    }

    #[tokio::test]
    async fn lines_are_split_across_chunks() {
        let (mut sender, body) = Body::channel();
        tokio::spawn(async move {
            for chunk in ["{\"a\":", "1}\n{\"b\"", ":2}\n", "tail"] {
                let _ = sender.send_data(chunk.into()).await;
            }
        });
        let mut lines = Lines::new(body);
        assert_eq!(lines.next().await.unwrap().as_deref(), Some("{\"a\":1}"));
        assert_eq!(lines.next().await.unwrap().as_deref(), Some("{\"b\":2}"));
        assert_eq!(lines.next().await.unwrap().as_deref(), Some("tail"));
        assert_eq!(lines.next().await.unwrap(), None);
    }
}
