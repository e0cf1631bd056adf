//! The client side of the API, for `lanes --server URL`: JSON requests as one token's holder,
//! and the lines of a live log followed over server-sent events. Blocking: the command line
//! makes one request at a time.

use std::io::BufRead as _;
use std::time::Duration;

use serde_json::Value;

/// A failed request; messages read after "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or the connection broke.
    #[error("reach the server at {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The server answered with an error status (409: refused by the rules); `message` is
    /// its `error`.
    #[error("{message} (the server answered {status})")]
    Answer { status: u16, message: String },
    /// The answer was not what the API sends.
    #[error("read the server's answer: {0}")]
    Unreadable(String),
}

/// The API of one server (`http://host:port`), as the holder of `token`.
pub struct ApiClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl ApiClient {
    #[must_use]
    pub fn new(server: &str, token: &str) -> Self {
        Self {
            base: format!("{}/api/v1", server.trim_end_matches('/')),
            token: token.to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(10)))
                .build()
                .into(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn unreachable(&self, error: &impl std::fmt::Display) -> ClientError {
        ClientError::Unreachable {
            url: self.base.clone(),
            message: error.to_string(),
        }
    }

    /// The body of a successful answer, or the error the server gave.
    fn finish(
        &self,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<String, ClientError> {
        let mut answer = answer.map_err(|error| self.unreachable(&error))?;
        let status = answer.status().as_u16();
        let body = answer
            .body_mut()
            .read_to_string()
            .map_err(|error| ClientError::Unreadable(error.to_string()))?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|value| value["error"].as_str().map(str::to_owned))
            .unwrap_or(body);
        Err(ClientError::Answer { status, message })
    }

    /// `GET` of a text answer (a log).
    pub fn text(&self, path: &str) -> Result<String, ClientError> {
        self.finish(
            self.agent
                .get(&self.url(path))
                .header("Authorization", &format!("Bearer {}", self.token))
                .call(),
        )
    }

    /// `GET` of a JSON answer.
    pub fn get(&self, path: &str) -> Result<Value, ClientError> {
        let body = self.text(path)?;
        serde_json::from_str(&body).map_err(|error| ClientError::Unreadable(error.to_string()))
    }

    /// `POST` of a JSON body; the JSON answer.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        let text = self.finish(
            self.agent
                .post(&self.url(path))
                .header("Authorization", &format!("Bearer {}", self.token))
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        )?;
        serde_json::from_str(&text).map_err(|error| ClientError::Unreadable(error.to_string()))
    }

    /// Follows a log stream: `line` is called with each line until the stream's `end` event
    /// (or until it returns `false`).
    pub fn follow(
        &self,
        path: &str,
        mut line: impl FnMut(&str) -> bool,
    ) -> Result<(), ClientError> {
        let answer = self
            .agent
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "text/event-stream")
            .call()
            .map_err(|error| self.unreachable(&error))?;
        if !answer.status().is_success() {
            return self.finish(Ok(answer)).map(drop);
        }
        let mut body = answer.into_body();
        let reader = std::io::BufReader::new(body.as_reader());
        let mut event = String::new();
        for text in reader.lines() {
            let text = text.map_err(|error| self.unreachable(&error))?;
            if let Some(name) = text.strip_prefix("event:") {
                name.trim().clone_into(&mut event);
            } else if let Some(data) = text.strip_prefix("data:") {
                let data = data.strip_prefix(' ').unwrap_or(data);
                match event.as_str() {
                    "line" if !line(data) => return Ok(()),
                    "end" => return Ok(()),
                    _ => {}
                }
            } else if text.is_empty() {
                event.clear();
            }
        }
        Ok(())
    }
}
