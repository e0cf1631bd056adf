//! Signing in with an API token: it is kept in an HTTP-only, same-site cookie, so forms on
//! other sites cannot act with it.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::App;
use crate::api::{COOKIE, token_digest};
use crate::dashboard::page::{render, render_with};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
}

pub(crate) async fn form() -> Response {
    render(&LoginPage {
        user: String::new(),
        role: String::new(),
        flash: None,
        flash_error: false,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignIn {
    token: String,
}

pub(crate) async fn sign_in(State(app): State<App>, Form(form): Form<SignIn>) -> Response {
    let token = form.token.trim();
    match app.tokens().find(&token_digest(token)).await {
        Ok(Some(_)) if token.bytes().all(|byte| byte.is_ascii_graphic()) => {
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        _ => render_with(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                user: String::new(),
                role: String::new(),
                flash: Some("that token is unknown or revoked".to_owned()),
                flash_error: true,
            },
        ),
    }
}

pub(crate) async fn sign_out() -> Response {
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}
