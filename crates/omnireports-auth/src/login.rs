//! Rocket.Chat's password login (`POST /api/v1/login`) over the credentials of an export:
//! the body forms, bcrypt of the password's SHA-256, the second factor, and the tokens a login
//! issues. Nothing here blocks on anything but the database, except [`verify_password`], which
//! is deliberately slow: run it where slow work belongs.

use crate::{generate_token, hash_token, login_cutoff, valid_token};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use omnireports_db::models::{NewToken, ISSUED_BY_OMNIREPORTS, LOGIN_TOKEN};
use omnireports_db::schema::{user_tokens, users};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The longest plain password a login takes, in characters.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// What a login body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    /// A username, e-mail or id with a password, and perhaps a two-factor code.
    Password {
        /// Whom the login names.
        name: LoginName,
        /// What bcrypt checks.
        password: PasswordDigest,
        /// The body's `code`, if any.
        code: Option<String>,
    },
    /// `{"resume": token}`: the same token back, if it is valid.
    Resume(String),
}

/// Whom a login names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    /// A username: exactly, else case-insensitively when only one user matches (as Meteor).
    Username(String),
    /// An e-mail address, case-insensitively.
    Email(String),
    /// A user id (Meteor's `{"user": {"id": …}}`).
    Id(String),
}

/// The lowercase hex SHA-256 of a password, as Meteor's clients send it and bcrypt stores it.
/// A client's own digest is taken as sent: one spelled otherwise just does not match.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordDigest(String);

impl std::fmt::Debug for PasswordDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordDigest(…)")
    }
}

impl PasswordDigest {
    /// The digest of a plain password.
    pub fn of(plain: &str) -> Self {
        let digest = Sha256::digest(plain.as_bytes());
        Self(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

/// Why a body is not a login, for the 400's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidLogin(String);

fn invalid(message: impl Into<String>) -> InvalidLogin {
    InvalidLogin(message.into())
}

impl LoginRequest {
    /// Reads one of the body forms Rocket.Chat's `loginCompatibility` accepts.
    pub fn parse(body: &[u8]) -> Result<Self, InvalidLogin> {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| invalid("The body must be a JSON object"))?;
        let Value::Object(body) = value else {
            return Err(invalid("The body must be a JSON object"));
        };
        if let Some(resume) = body.get("resume") {
            let token = resume
                .as_str()
                .ok_or_else(|| invalid("resume: must be a string"))?;
            return Ok(Self::Resume(token.to_owned()));
        }
        let password = match body.get("password") {
            None | Some(Value::Null) => return Err(invalid("password: is required")),
            Some(password) => parse_password(password)?,
        };
        let code = match body.get("code") {
            None | Some(Value::Null) => None,
            Some(Value::String(code)) => Some(code.clone()),
            Some(_) => return Err(invalid("code: must be a string")),
        };
        Ok(Self::Password {
            name: parse_name(&body)?,
            password,
            code,
        })
    }
}

fn parse_password(password: &Value) -> Result<PasswordDigest, InvalidLogin> {
    match password {
        Value::String(plain) if plain.chars().count() > MAX_PASSWORD_CHARS => Err(invalid(
            format!("password: must be at most {MAX_PASSWORD_CHARS} characters"),
        )),
        Value::String(plain) => Ok(PasswordDigest::of(plain)),
        Value::Object(hashed) => {
            if hashed.get("algorithm").and_then(Value::as_str) != Some("sha-256") {
                return Err(invalid("password.algorithm: must be \"sha-256\""));
            }
            match hashed.get("digest").and_then(Value::as_str) {
                Some(digest) if digest.len() <= MAX_PASSWORD_CHARS => {
                    Ok(PasswordDigest(digest.to_owned()))
                }
                _ => Err(invalid("password.digest: must be a SHA-256 hex string")),
            }
        }
        _ => Err(invalid("password: must be a string or {digest, algorithm}")),
    }
}

/// `user` (a string with `@` is an e-mail), Meteor's `user: {username | email | id}`, or
/// `username`, or `email`.
fn parse_name(body: &Map<String, Value>) -> Result<LoginName, InvalidLogin> {
    let text = |key: &str, value: &Value| {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("{key}: must be a string")))
    };
    if let Some(user) = body.get("user") {
        return match user {
            Value::String(user) if user.contains('@') => Ok(LoginName::Email(user.clone())),
            Value::String(user) => Ok(LoginName::Username(user.clone())),
            Value::Object(user) => {
                if let Some(username) = user.get("username") {
                    Ok(LoginName::Username(text("user.username", username)?))
                } else if let Some(email) = user.get("email") {
                    Ok(LoginName::Email(text("user.email", email)?))
                } else if let Some(id) = user.get("id") {
                    Ok(LoginName::Id(text("user.id", id)?))
                } else {
                    Err(invalid("user: must name a username, email or id"))
                }
            }
            _ => Err(invalid("user: must be a string or an object")),
        };
    }
    if let Some(username) = body.get("username") {
        return Ok(LoginName::Username(text("username", username)?));
    }
    if let Some(email) = body.get("email") {
        return Ok(LoginName::Email(text("email", email)?));
    }
    Err(invalid("user: is required (or username, or email)"))
}

/// What a password login needs of a user.
#[derive(Clone, PartialEq, Eq, QueryableByName)]
pub struct Account {
    /// The user id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Whether the user may sign in.
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Nullable<Text>)]
    password_bcrypt: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    totp_secret: Option<String>,
    #[diesel(sql_type = Bool)]
    email_two_factor: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The one user `name` names, if exactly one does.
pub fn find_account(conn: &mut PgConnection, name: &LoginName) -> QueryResult<Option<Account>> {
    const COLUMNS: &str = "SELECT id, active, password_bcrypt, totp_secret, email_two_factor \
                           FROM users WHERE ";
    let query = |filter: &str, value: &str| {
        diesel::sql_query(format!("{COLUMNS}{filter} LIMIT 2")).bind::<Text, _>(value.to_owned())
    };
    let single = |mut found: Vec<Account>| match found.len() {
        1 => found.pop(),
        _ => None,
    };
    match name {
        LoginName::Id(id) => Ok(single(query("id = $1", id).load(conn)?)),
        LoginName::Email(email) => Ok(single(
            query("user_email_keys(emails) @> ARRAY[lower($1)]", email).load(conn)?,
        )),
        LoginName::Username(username) => {
            let exact = single(query("username = $1", username).load(conn)?);
            match exact {
                Some(account) => Ok(Some(account)),
                None => Ok(single(
                    query("lower(username) = lower($1)", username).load(conn)?,
                )),
            }
        }
    }
}

/// A bcrypt hash at Rocket.Chat's default cost that no password matches, checked for unknown
/// users so that they take as long as known ones.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| bcrypt::hash(generate_token(), bcrypt::DEFAULT_COST).expect("bcrypt hashes"));

/// Whether `password` is the account's. Takes about as long for an unknown user, a user without
/// a password and a malformed hash as for a wrong password: one bcrypt check at the default cost.
pub fn verify_password(account: Option<&Account>, password: &PasswordDigest) -> bool {
    let stored = account.and_then(|account| account.password_bcrypt.as_deref());
    match stored {
        // A malformed stored hash is no client's fault: it reads as a wrong password.
        Some(hash) => bcrypt::verify(&password.0, hash).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(&password.0, &DUMMY_HASH);
            false
        }
    }
}

/// Why the second factor refused a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorError {
    /// No code came.
    Required(Methods),
    /// The code is not valid now.
    Invalid(Methods),
}

/// The two-factor methods of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Methods {
    /// The method the code must come from: `totp` before `email`, as Rocket.Chat picks.
    pub selected: &'static str,
    /// Every method the user has.
    pub available: Vec<&'static str>,
}

/// Steps of 30 s accepted either side of now, as Rocket.Chat's default
/// `Accounts_TwoFactorAuthentication_MaxDelta`.
const TOTP_SKEW: u8 = 1;

/// Checks the second factor of `account` with `code` at `now`. An e-mail code can never be
/// valid: omnireports sends no mail (such users sign in with a personal access token).
pub fn check_second_factor(
    account: &Account,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), SecondFactorError> {
    let mut available = Vec::new();
    if account.totp_secret.is_some() {
        available.push("totp");
    }
    if account.email_two_factor {
        available.push("email");
    }
    let Some(&selected) = available.first() else {
        return Ok(());
    };
    let methods = Methods {
        selected,
        available,
    };
    let Some(code) = code.filter(|code| !code.is_empty()) else {
        return Err(SecondFactorError::Required(methods));
    };
    match account.totp_secret.as_deref() {
        Some(secret) if totp_matches(secret, code, now) => Ok(()),
        _ => Err(SecondFactorError::Invalid(methods)),
    }
}

/// RFC 6238 with Rocket.Chat's parameters: SHA-1, 6 digits, 30 s steps. A secret that is not
/// base32 matches no code.
fn totp_matches(secret: &str, code: &str, now: DateTime<Utc>) -> bool {
    let normalized = secret.trim_end_matches('=').to_ascii_uppercase();
    let Ok(bytes) = totp_rs::Secret::Encoded(normalized).to_bytes() else {
        return false;
    };
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, TOTP_SKEW, 30, bytes);
    u64::try_from(now.timestamp()).is_ok_and(|time| totp.check(code, time))
}

/// Issues a login token for `user_id` (it expires like Rocket.Chat's) and returns it in clear,
/// the only time it exists so.
pub fn issue_login_token(
    conn: &mut PgConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    let token = generate_token();
    diesel::insert_into(user_tokens::table)
        .values(NewToken {
            user_id: user_id.to_owned(),
            hashed_token: hash_token(&token),
            kind: LOGIN_TOKEN.to_owned(),
            name: None,
            issued_at: now,
            issuer: ISSUED_BY_OMNIREPORTS.to_owned(),
        })
        .execute(conn)?;
    Ok(token)
}

/// The user a still valid `token` belongs to, and whether that user is active: what
/// `{"resume": token}` needs.
pub fn resume(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
    login_expiration_days: u32,
) -> QueryResult<Option<(String, bool)>> {
    users::table
        .inner_join(user_tokens::table)
        .filter(user_tokens::hashed_token.eq(hash_token(token)))
        .filter(valid_token(login_cutoff(now, login_expiration_days)))
        .select((users::id, users::active))
        .first(conn)
        .optional()
}

/// Removes exactly `token` of `user_id` (a logout); whether it was there.
pub fn revoke_token(conn: &mut PgConnection, user_id: &str, token: &str) -> QueryResult<bool> {
    let removed = diesel::delete(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::hashed_token.eq(hash_token(token))),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// Sets (or, with `None`, removes) the password of the user with this id, stored as Meteor
/// does: bcrypt, at `cost`, of the password's SHA-256.
pub fn set_password(
    conn: &mut PgConnection,
    user_id: &str,
    password: Option<&str>,
    cost: u32,
) -> QueryResult<bool> {
    let hash = password.map(|plain| {
        bcrypt::hash(&PasswordDigest::of(plain).0, cost).expect("bcrypt hashes at a valid cost")
    });
    let updated = diesel::update(users::table.find(user_id))
        .set(users::password_bcrypt.eq(hash))
        .execute(conn)?;
    Ok(updated > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use serde_json::json;

    fn parse(body: Value) -> Result<LoginRequest, InvalidLogin> {
        LoginRequest::parse(body.to_string().as_bytes())
    }

    fn name_of(body: Value) -> LoginName {
        match parse(body).unwrap() {
            LoginRequest::Password { name, .. } => name,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_body_form_names_its_user() {
        let cases = [
            (
                json!({"user": "mia", "password": "p"}),
                LoginName::Username("mia".into()),
            ),
            (
                json!({"user": "mia@x.org", "password": "p"}),
                LoginName::Email("mia@x.org".into()),
            ),
            (
                json!({"username": "mia", "password": "p"}),
                LoginName::Username("mia".into()),
            ),
            (
                json!({"email": "mia@x.org", "password": "p"}),
                LoginName::Email("mia@x.org".into()),
            ),
            (
                json!({"user": {"username": "mia"}, "password": "p"}),
                LoginName::Username("mia".into()),
            ),
            (
                json!({"user": {"email": "m@x"}, "password": "p"}),
                LoginName::Email("m@x".into()),
            ),
            (
                json!({"user": {"id": "u1"}, "password": "p"}),
                LoginName::Id("u1".into()),
            ),
            // `user` wins over the others, as in Rocket.Chat's loginCompatibility.
            (
                json!({"user": "a", "username": "b", "password": "p"}),
                LoginName::Username("a".into()),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(name_of(body.clone()), expected, "{body}");
        }
    }

    #[test]
    fn a_plain_password_and_its_digest_are_the_same_password() {
        // SHA-256("abc"), lowercase hex.
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(PasswordDigest::of("abc"), PasswordDigest(hex.into()));
        let plain = parse(json!({"user": "mia", "password": "abc"})).unwrap();
        let digested =
            parse(json!({"user": "mia", "password": {"digest": hex, "algorithm": "sha-256"}}));
        assert_eq!(plain, digested.unwrap());
    }

    #[test]
    fn resume_and_code_are_read() {
        assert_eq!(
            parse(json!({"resume": "t"})).unwrap(),
            LoginRequest::Resume("t".into())
        );
        let with_code = parse(json!({"user": "mia", "password": "p", "code": "123456"}));
        assert!(
            matches!(with_code, Ok(LoginRequest::Password { code: Some(c), .. }) if c == "123456")
        );
    }

    #[test]
    fn passwords_are_limited_to_256_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_PASSWORD_CHARS);
        assert!(parse(json!({"user": "mia", "password": at_limit})).is_ok());
        let over = "é".repeat(MAX_PASSWORD_CHARS + 1);
        assert!(parse(json!({"user": "mia", "password": over})).is_err());
    }

    #[test]
    fn stored_passwords_verify_at_any_cost_and_nothing_else_does() {
        let password = PasswordDigest::of("s3cret");
        let account = |bcrypt: Option<String>| Account {
            id: "u1".into(),
            active: true,
            password_bcrypt: bcrypt,
            totp_secret: None,
            email_two_factor: false,
        };
        for cost in [4, 6] {
            let hash = bcrypt::hash(&password.0, cost).unwrap();
            assert!(verify_password(
                Some(&account(Some(hash.clone()))),
                &password
            ));
            let wrong = PasswordDigest::of("S3cret");
            assert!(!verify_password(Some(&account(Some(hash))), &wrong));
        }
        assert!(!verify_password(
            Some(&account(Some("not bcrypt".into()))),
            &password
        ));
        assert!(!verify_password(Some(&account(None)), &password));
        assert!(!verify_password(None, &password));
    }

    /// RFC 6238's SHA-1 test secret ("12345678901234567890") in base32, and its vector at
    /// T = 59 s: 94287082, of which six digits are used.
    #[test]
    fn totp_codes_follow_rfc_6238_within_one_step_either_side() {
        let account = Account {
            id: "u1".into(),
            active: true,
            password_bcrypt: None,
            totp_secret: Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
            email_two_factor: false,
        };
        let at = |secs| Utc.timestamp_opt(secs, 0).unwrap();
        assert_eq!(
            check_second_factor(&account, Some("287082"), at(59)),
            Ok(())
        );
        assert_eq!(
            check_second_factor(&account, Some("287082"), at(89)),
            Ok(())
        );
        let methods = Methods {
            selected: "totp",
            available: vec!["totp"],
        };
        assert_eq!(
            check_second_factor(&account, Some("287082"), at(120)),
            Err(SecondFactorError::Invalid(methods.clone()))
        );
        assert_eq!(
            check_second_factor(&account, None, at(59)),
            Err(SecondFactorError::Required(methods))
        );
        // A lowercase or padded secret is the same secret.
        let lower = Account {
            totp_secret: Some("gezdgnbvgy3tqojqgezdgnbvgy3tqojq====".into()),
            ..account
        };
        assert_eq!(check_second_factor(&lower, Some("287082"), at(59)), Ok(()));
    }
}
